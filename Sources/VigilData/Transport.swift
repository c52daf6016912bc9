// HTTPS fetching behind a protocol, so tests can inject failures and the retry loop runs without real sleeps.
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// Fetches a URL's body; throws on transport failure (DNS, connection, timeout).
public protocol HTTPTransport {
    /// Returns the HTTP status code and body of a GET request.
    func get(_ url: URL) throws -> (status: Int, body: Data)
}

/// A transport failure with a human-readable reason.
public struct TransportError: Error, CustomStringConvertible {
    public let reason: String
    public init(reason: String) { self.reason = reason }
    public var description: String { reason }
}

/// `HTTPTransport` over Foundation's URLSession (synchronous wrapper, per-request timeout).
public final class URLSessionTransport: HTTPTransport {
    private let session: URLSession
    private let timeout: TimeInterval

    /// A transport with an ephemeral session and `timeout` seconds per request.
    public init(timeout: TimeInterval = 60) {
        let config = URLSessionConfiguration.ephemeral
        config.timeoutIntervalForRequest = timeout
        config.timeoutIntervalForResource = timeout * 10
        self.session = URLSession(configuration: config)
        self.timeout = timeout
    }

    public func get(_ url: URL) throws -> (status: Int, body: Data) {
        let sem = DispatchSemaphore(value: 0)
        final class Box: @unchecked Sendable { var result: Result<(Int, Data), Error>? }
        let box = Box()
        var request = URLRequest(url: url)
        request.timeoutInterval = timeout
        let task = session.dataTask(with: request) { data, response, error in
            if let error {
                box.result = .failure(TransportError(reason: error.localizedDescription))
            } else {
                let status = (response as? HTTPURLResponse)?.statusCode ?? 0
                box.result = .success((status, data ?? Data()))
            }
            sem.signal()
        }
        task.resume()
        sem.wait()
        switch box.result! {
        case .success(let (status, body)): return (status, body)
        case .failure(let e): throw e
        }
    }
}

/// Bounded exponential backoff: attempt k (1-based) waits baseDelay · 2^(k−1), capped at maxDelay, before retrying.
public struct RetryPolicy {
    /// Total attempts per file (first try included).
    public var maxAttempts: Int
    /// Delay before the second attempt, in seconds.
    public var baseDelay: Double
    /// Upper bound on one delay, in seconds.
    public var maxDelay: Double
    /// How to wait (injectable so tests do not sleep).
    public var sleep: (Double) -> Void

    /// Defaults: 4 attempts, waits of 1 s, 2 s, 4 s.
    public init(maxAttempts: Int = 4, baseDelay: Double = 1, maxDelay: Double = 30,
                sleep: @escaping (Double) -> Void = { Thread.sleep(forTimeInterval: $0) }) {
        self.maxAttempts = max(1, maxAttempts)
        self.baseDelay = baseDelay
        self.maxDelay = maxDelay
        self.sleep = sleep
    }

    /// Delay after failed attempt `attempt` (1-based).
    public func delay(after attempt: Int) -> Double {
        min(maxDelay, baseDelay * pow(2, Double(attempt - 1)))
    }
}
