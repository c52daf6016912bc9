#!/usr/bin/env python3
"""Check that PyTorch loads a checkpoint written by Vigil (VigilPyTorch) with the expected content.

    python3 scripts/check_torch_checkpoint.py FILE EXPECTED.json [FILE EXPECTED.json ...]

Loads each FILE twice with the weights-only unpickler:
  1. torch.load(FILE, weights_only=True)                      (the serving component's call)
  2. torch.load(FILE, weights_only=True, mmap=True) with
     torch.utils.serialization.config.load.calculate_storage_offsets = True and
     TORCH_SERIALIZATION_DEBUG=1, so torch computes every storage offset from miniz's layout
     (64-byte alignment, data descriptors) and asserts it equals the offset in the zip directory.
Each result must equal EXPECTED.json exactly: the same container types (dict vs OrderedDict), keys in
order, ints, float bit patterns, strings, and for tensors the dtype, shape and little-endian bytes; tensors
must also be contiguous CPU tensors without requires_grad, as Vigil writes them.

EXPECTED.json describes a value recursively (the format the Swift tests and make_torch_save_goldens.py use):
  {"type": "dict" | "OrderedDict", "entries": [[key, value], ...]}
  {"type": "int", "value": 7}            {"type": "float", "bits": "<16 hex digits of the IEEE-754 double>"}
  {"type": "str", "value": "..."}        {"type": "bool", "value": true}      {"type": "none"}
  {"type": "tensor", "dtype": "float32", "shape": [10, 1, 8], "data_hex": "<bytes, C order, little endian>"}
Prints one line per load and exits 0 when all match; prints every mismatch and exits 1 otherwise.
Exits 77 (the conventional "skipped" status) with the reason when torch cannot be imported.
"""
import collections
import json
import os
import struct
import sys

try:
    import torch
except Exception as e:  # noqa: BLE001 - any import failure means "no usable torch here"
    print(f"torch is not importable: {type(e).__name__}: {e}")
    sys.exit(77)


def float_bits(x):
    return "%016x" % struct.unpack("<Q", struct.pack("<d", x))[0]


def tensor_hex(t):
    flat = t.detach().contiguous().reshape(-1)
    return flat.view(torch.uint8).numpy().tobytes().hex() if flat.numel() else ""


def compare(got, want, path, errors):
    kind = want["type"]
    if kind in ("dict", "OrderedDict"):
        expected_type = dict if kind == "dict" else collections.OrderedDict
        if type(got) is not expected_type:
            errors.append(f"{path}: expected {kind}, got {type(got).__name__}")
            return
        keys = [k for k, _ in want["entries"]]
        if list(got.keys()) != keys:
            errors.append(f"{path}: keys {list(got.keys())} != expected {keys}")
            return
        for k, v in want["entries"]:
            compare(got[k], v, f"{path}[{k!r}]", errors)
    elif kind == "int":
        if type(got) is not int or got != want["value"]:
            errors.append(f"{path}: expected int {want['value']}, got {got!r}")
    elif kind == "float":
        if type(got) is not float or float_bits(got) != want["bits"]:
            errors.append(f"{path}: expected float bits {want['bits']}, got {got!r}")
    elif kind == "str":
        if type(got) is not str or got != want["value"]:
            errors.append(f"{path}: expected str {want['value']!r}, got {got!r}")
    elif kind == "bool":
        if type(got) is not bool or got != want["value"]:
            errors.append(f"{path}: expected bool {want['value']}, got {got!r}")
    elif kind == "none":
        if got is not None:
            errors.append(f"{path}: expected None, got {got!r}")
    elif kind == "tensor":
        if not isinstance(got, torch.Tensor):
            errors.append(f"{path}: expected a tensor, got {type(got).__name__}")
            return
        if str(got.dtype) != "torch." + want["dtype"]:
            errors.append(f"{path}: dtype {got.dtype} != torch.{want['dtype']}")
        elif list(got.shape) != want["shape"]:
            errors.append(f"{path}: shape {list(got.shape)} != {want['shape']}")
        elif tensor_hex(got) != want["data_hex"]:
            errors.append(f"{path}: values differ")
        elif got.requires_grad or not got.is_contiguous() or got.device.type != "cpu":
            errors.append(f"{path}: requires_grad={got.requires_grad}, contiguous={got.is_contiguous()}, device={got.device}")
    else:
        errors.append(f"{path}: unknown expected type {kind!r}")


def check(path, expected_path):
    with open(expected_path) as f:
        want = json.load(f)
    failed = False
    for label in ("weights_only=True", "weights_only=True, mmap=True, calculated offsets"):
        if "mmap" in label:
            torch.utils.serialization.config.load.calculate_storage_offsets = True
            os.environ["TORCH_SERIALIZATION_DEBUG"] = "1"
            got = torch.load(path, weights_only=True, mmap=True)
            torch.utils.serialization.config.load.calculate_storage_offsets = False
            del os.environ["TORCH_SERIALIZATION_DEBUG"]
        else:
            got = torch.load(path, weights_only=True)
        errors = []
        compare(got, want, "obj", errors)
        for e in errors:
            print(f"MISMATCH ({label}): {e}")
        failed |= bool(errors)
        n_tensors = sum(1 for _ in _tensors(got))
        print(f"torch {torch.__version__} loaded {path} ({label}): {n_tensors} tensors, "
              f"{'matches' if not errors else 'DOES NOT match'} {expected_path}")
    return failed


def main():
    args = sys.argv[1:]
    if not args or len(args) % 2:
        print("usage: check_torch_checkpoint.py FILE EXPECTED.json [FILE EXPECTED.json ...]", file=sys.stderr)
        return 2
    failed = False
    for i in range(0, len(args), 2):
        failed |= check(args[i], args[i + 1])
    return 1 if failed else 0


def _tensors(x):
    if isinstance(x, torch.Tensor):
        yield x
    elif isinstance(x, dict):
        for v in x.values():
            yield from _tensors(v)


if __name__ == "__main__":
    sys.exit(main())
