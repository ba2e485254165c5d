// A program that runs its own work on the UMCG engine, with named workers, and watches it.
//
//   swift run EmbeddedCounter [seconds]               counters by worker name at the end
//   swift run EmbeddedCounter [seconds] --headless    umcgtop's text frames meanwhile
//   swift run EmbeddedCounter [seconds] --dashboard   umcgtop's dashboard (q quits)
//   swift run EmbeddedCounter [seconds] --publish     published for `umcgtop --attach PID` (also with
//                                                     UMCGTOP_PUBLISH=1): prints the region's path
import UMCGEngine
import UMCGTop

#if canImport(Glibc)
    import Glibc
#endif

/// Our own workload: "read" a chunk of text in a blocking section (the server runs other workers
/// meanwhile), count its words, take a cooperative preemption point, yield to the others.
struct WordCounter: Workload {
    let wordsPerChunk: Int

    func run(_ ctx: inout WorkerContext) throws {
        var words = 0
        while !ctx.shouldStop {
            let chunk = try ctx.blocking(.read) { () throws -> String in
                // Stands in for a read(2) or a database call; any blocking code goes here.
                var text = "word"
                for _ in 1..<wordsPerChunk { text += " word" }
                return text
            }
            words += chunk.split(separator: " ").count
            try ctx.checkpoint()
            try ctx.yield()
        }
        print("\(ctx.name) (worker \(ctx.index)) counted \(words) words")
    }
}

let arguments = CommandLine.arguments.dropFirst()
let seconds = arguments.compactMap { Double($0) }.first ?? 2
let headless = arguments.contains("--headless")
let publish = arguments.contains("--publish") || getenv("UMCGTOP_PUBLISH").map { String(cString: $0) } == "1"
let dashboard = !publish && (headless || arguments.contains("--dashboard"))

// Two servers, no built-in workers, room for five of our own; traced for the dashboard, or
// published for a viewer in another process (one call).
let configuration = EngineConfiguration(servers: 2, workers: 0, reservedWorkers: 5)
let engine = try Engine(publish ? configuration.published() : configuration.traced())
for i in 0..<3 {
    try engine.spawn(name: "words-\(i)", WordCounter(wordsPerChunk: 100 * (i + 1)))
}
// A worker, written as a closure, that adds another one while the engine runs.
try engine.spawn(name: "spawner") { [engine] ctx in
    try ctx.sleep(nanos: UInt64(seconds / 2 * 1e9))
    // spawn waits for the new thread: a blocking section lets the server run the others meanwhile.
    try ctx.blocking(.other) {
        try engine.spawn(name: "ticker") { ctx in
            while !ctx.shouldStop { try ctx.sleep(nanos: 1_000_000) }
        }
    }
}

if dashboard {
    // umcgtop's pipeline on our engine: it starts the engine and stops it at the end.
    let source = try LiveSource(engine: engine)
    let status = Dashboard.run(source, .init(headless: headless, duration: seconds))
    if status != 0 { print("dashboard ended with status \(status)") }
} else {
    try engine.start()
    if publish {
        if let path = engine.publishedPath {
            print("publishing \(path) (pid \(getpid())): umcgtop --attach \(getpid())")
        } else {
            print("not publishing: \(engine.publishingError ?? "unknown reason")")
        }
        fflush(nil)  // every stream: a viewer's script reads the path while we run
    }
    try await Task.sleep(for: .seconds(seconds))
    engine.stop()
}

// The engine's lossless counters, by the names we gave.
for worker in engine.snapshot().workers {
    let name = engine.workerName(Int(worker.id)) ?? "?"
    print("\(name): \(worker.switches) switches, \(worker.blocks) blocks, \(worker.runNanos / 1000) µs running")
}
if engine.failedWorkers > 0 { print("\(engine.failedWorkers) workers failed") }
