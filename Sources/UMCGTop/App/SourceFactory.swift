import ArgumentParser
import UMCGBench
import UMCGEngine
import UMCGSystem
import UMCGTrace

/// Builds the event source the command asks for.
enum SourceFactory {
    /// The engine configuration the scenario options describe (no trace hub yet).
    static func engineConfiguration(_ scenario: ScenarioOptions) -> EngineConfiguration {
        EngineConfiguration(
            servers: scenario.resolvedServers, workers: scenario.workers,
            workload: scenario.workload,
            sliceNanos: UInt64(scenario.sliceMillis) * 1_000_000,
            backend: scenario.backend, umcgSyscall: scenario.umcgSyscall)
    }

    /// A live, replay or attached source, started. Errors are one line.
    static func make(_ command: DashboardCommand) throws -> EventSource {
        if let pid = command.attach {
            return try attach(pid: pid, record: command.record, force: command.force)
        }
        if let path = command.replay {
            do {
                // Headless replays fold as fast as the file reads; --pace plays them at the fastest speed (64×).
                return try ReplaySource(
                    path: path, speed: command.headless ? ReplayClock.speeds.last ?? 64 : 1,
                    paced: !command.headless || command.pace)
            } catch {
                // The same line and exit status as `umcgtop report` (65 data error, 66 cannot open, 74 read error).
                throw AppFailure(
                    message: "\(path): \(ReportCommand.message(error))", status: ReportCommand.exitCode(error))
            }
        }
        do {
            return try LiveSource(
                .init(
                    engine: engineConfiguration(command.scenario), baselines: !command.scenario.noBaselines,
                    recordPath: command.record, force: command.force))
        } catch let error as EngineError {
            throw ValidationError(error.description)
        } catch let error as BaselineError {
            throw ValidationError("baselines: \(error.description)")
        } catch let error as TraceFileError {
            throw AppFailure(message: "cannot record: \(error.description)", status: 1)
        }
    }
}

extension SourceFactory {
    /// Exit statuses of a refused attach (sysexits.h): no such region 66, not yours 77, invalid region 65.
    static func exitCode(_ error: SharedRegionError) -> Int32 {
        switch error.kind {
        case .notFound: 66
        case .permission: 77
        case .invalid, .truncated: 65
        case .system, .exists: 1
        }
    }

    /// Attaches to process `pid`'s region (`--attach`, `run`); `child` is the process `run` started.
    static func attach(pid: Int32, record: String?, force: Bool, child: ChildProcess? = nil) throws -> AttachSource {
        do {
            return try AttachSource(pid: pid, recordPath: record, force: force, child: child)
        } catch let error as SharedRegionError {
            throw AppFailure(message: error.message, status: exitCode(error))
        } catch let error as TraceFileError {
            throw AppFailure(message: "cannot record: \(error.description)", status: 1)
        }
    }
}

/// A failure the app reports as one line `umcgtop: error: …` with its own exit status.
struct AppFailure: Error {
    /// The line after "umcgtop: error: ".
    var message: String
    /// The exit status.
    var status: Int32
}
