"""Python twin of VigilRandom.Xoshiro256 (xoshiro256** seeded by SplitMix64) and of the row sampling of the
kNN baseline (VigilBaselines/Sampling.swift), written from the published algorithms, for goldens and benchmarks.

    rng = Xoshiro256(seed); rng.next() -> 64-bit int; rng.unit_double() -> [0, 1); rng.int_below(n) (Lemire)
    sample_rows(n, count, seed) -> sorted list of `count` distinct row indices (all rows when count >= n)
"""
MASK = (1 << 64) - 1


class SplitMix64:
    def __init__(self, state):
        self.state = state & MASK

    def next(self):
        self.state = (self.state + 0x9E3779B97F4A7C15) & MASK
        z = self.state
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK
        return z ^ (z >> 31)


def _rotl(x, k):
    return ((x << k) | (x >> (64 - k))) & MASK


class Xoshiro256:
    def __init__(self, seed):
        sm = SplitMix64(seed)
        self.s = [sm.next() for _ in range(4)]

    def next(self):
        s = self.s
        result = (_rotl((s[1] * 5) & MASK, 7) * 9) & MASK
        t = (s[1] << 17) & MASK
        s[2] ^= s[0]
        s[3] ^= s[1]
        s[1] ^= s[2]
        s[0] ^= s[3]
        s[2] ^= t
        s[3] = _rotl(s[3], 45)
        return result

    def unit_double(self):
        return (self.next() >> 11) * 2.0 ** -53

    def int_below(self, bound):
        """Lemire's multiply-shift with rejection: uniform in [0, bound)."""
        assert bound > 0
        m = self.next() * bound
        low = m & MASK
        if low < bound:
            threshold = ((1 << 64) - bound) % bound
            while low < threshold:
                m = self.next() * bound
                low = m & MASK
        return m >> 64


def sample_rows(n, count, seed):
    """Partial Fisher-Yates: idx = 0..n-1; for i < count swap idx[i], idx[i + int_below(n - i)]; sorted idx[:count]."""
    if count >= n:
        return list(range(n))
    rng = Xoshiro256(seed)
    idx = list(range(n))
    for i in range(count):
        j = i + rng.int_below(n - i)
        idx[i], idx[j] = idx[j], idx[i]
    return sorted(idx[:count])
