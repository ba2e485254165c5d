// A program that runs its own work on the UMCG engine and reads it back by worker name.
// Run: swift run EmbeddedCounter [seconds]
import UMCGEngine

/// Our own workload: "read" a chunk of text in a blocking section (the server runs other workers
/// meanwhile), count its words, take a cooperative preemption point, yield to the others.
struct WordCounter: Workload {
    let wordsPerChunk: Int

    func run(_ ctx: inout WorkerContext) throws {
        var words = 0
        while !ctx.shouldStop {
            let chunk = try ctx.blocking(.read) { () throws -> String in
                // Stands in for a read(2) or a database call; any blocking code goes here.
                var text = ""
                for i in 0..<wordsPerChunk { text += i == 0 ? "word" : " word" }
                return text
            }
            words += chunk.split(separator: " ").count
            try ctx.checkpoint()
            try ctx.yield()
        }
        print("\(ctx.name) (worker \(ctx.index)) counted \(words) words")
    }
}

let seconds = Double(CommandLine.arguments.dropFirst().first ?? "") ?? 2

// Two servers, no built-in workers, room for four workers of our own.
let engine = try Engine(EngineConfiguration(servers: 2, workers: 0, reservedWorkers: 4))
for i in 0..<3 {
    try engine.spawn(name: "words-\(i)", WordCounter(wordsPerChunk: 100 * (i + 1)))
}
try engine.start()
try await Task.sleep(for: .seconds(seconds / 2))

// A worker added while the engine runs, written as a closure.
try engine.spawn(name: "ticker") { ctx in
    while !ctx.shouldStop { try ctx.sleep(nanos: 1_000_000) }
}
try await Task.sleep(for: .seconds(seconds / 2))
engine.stop()

// The engine's lossless counters, by the names we gave.
let snapshot = engine.snapshot()
for worker in snapshot.workers {
    let name = engine.workerName(Int(worker.id)) ?? "?"
    let line = "\(name): \(worker.switches) switches, \(worker.blocks) blocks, \(worker.runNanos / 1000) µs running"
    print(line)
}
if engine.failedWorkers > 0 { print("\(engine.failedWorkers) workers failed") }
