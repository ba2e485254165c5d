import Foundation
import Testing
import UMCGSystem
import UMCGTrace

@testable import UMCGTop

/// The `/metrics` HTTP path: a scrape returns the bytes the UI loop built at its last publish
/// (shared, not re-rendered), whatever the number of workers; HEAD and unknown paths are answered.
@Suite struct MetricsServerTests {
    /// One HTTP/1.0 request on a fresh loopback connection: (status line, headers, body).
    static func request(_ method: String, _ path: String, port: Int) throws -> (String, [String: String], [UInt8]) {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        try #require(fd >= 0)
        defer { close(fd) }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = in_port_t(UInt16(port).bigEndian)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        try #require(connected == 0, "connect: errno \(errno)")
        let text = Array("\(method) \(path) HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n".utf8)
        try #require(text.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) } == text.count)
        // HTTP/1.0 without keep-alive: the server closes after the response.
        var response: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65_536)
        while true {
            let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n <= 0 { break }
            response += chunk[0..<n]
        }
        let separator = Array("\r\n\r\n".utf8)
        let end = try #require(
            (0...(response.count - separator.count)).first { Array(response[$0..<$0 + 4]) == separator },
            "no header end")
        let head = String(decoding: response[0..<end], as: UTF8.self).components(separatedBy: "\r\n")
        var headers: [String: String] = [:]
        for line in head.dropFirst() {
            let kv = line.split(separator: ":", maxSplits: 1)
            if kv.count == 2 { headers[kv[0].lowercased()] = kv[1].trimmingCharacters(in: .whitespaces) }
        }
        return (head[0], headers, Array(response[(end + 4)...]))
    }

    @Test func aScrapeServesTheLastPublishedBytes() throws {
        let agg = MetricsExpositionTests.aggregator(workers: 10_000)
        let endpoint = MetricsEndpoint(topWorkers: 20)
        endpoint.publish(agg.metricsSnapshot(topWorkers: endpoint.topWorkerCount))
        let server = try MetricsServer(address: try #require(MetricsAddress("127.0.0.1:0")), endpoint: endpoint)
        defer { server.stop() }
        let published = endpoint.body
        #expect(published.count > 1000 && published.count < 200_000)
        for _ in 0..<3 {
            let (status, headers, body) = try Self.request("GET", "/metrics", port: server.port)
            #expect(status.hasPrefix("HTTP/1.0 200"), "\(status)")
            #expect(headers["content-length"] == "\(published.count)")
            #expect(body == published)
        }
        let (headStatus, headHeaders, headBody) = try Self.request("HEAD", "/metrics", port: server.port)
        #expect(headStatus.contains("200") && headBody.isEmpty && headHeaders["content-length"] == "0")
        // The endpoint's buffer is untouched by scrapes and HEAD: the next GET is the same bytes.
        #expect(try Self.request("GET", "/metrics?x=1", port: server.port).2 == published)
        let (missing, _, _) = try Self.request("GET", "/other", port: server.port)
        #expect(missing.contains("404"))
        // A new publish is what the next scrape returns.
        agg.ingest(TraceEvent(timestamp: 1_000_000, kind: .switchTo, server: 0, worker: 2, cpu: 0, arg: 2_000))
        agg.tick(now: 1_000_100)
        endpoint.publish(agg.metricsSnapshot(topWorkers: endpoint.topWorkerCount))
        let (_, _, next) = try Self.request("GET", "/metrics", port: server.port)
        #expect(next == endpoint.body && next != published)
    }
}
