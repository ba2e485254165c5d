import UMCGSystem
import UMCGTrace

/// The engine's publishing state: the publisher thread while it runs, and why publishing failed.
struct EnginePublishing {
    var publisher: RegionPublisher?
    var error: String?
}

extension Engine {
    /// Creates the region when `configuration` asks for publishing, and makes its hub one whose
    /// rings live there. A failure leaves the configuration as it was (unpublished) and says why.
    static func makeRegion(
        _ configuration: inout EngineConfiguration, backend: String
    ) -> (PublishedRegion?, String?) {
        let wanted =
            switch configuration.publishing {
            case .always: true
            case .never: false
            case .environment: PublishedRegion.requestedByEnvironment
            }
        guard wanted else { return (nil, nil) }
        let ringCapacity = configuration.hub?.ringCapacity ?? 1 << 16
        let entities = configuration.servers + configuration.workerCapacity
        let options = PublishedRegion.Options(
            ringCount: configuration.servers + 4, ringCapacity: ringCapacity, infoBytes: (64 << 10) + 256 * entities,
            snapshotBytes: (16 << 10) + 128 * entities, directory: configuration.publishDirectory,
            backend: backend)
        do throws(SharedRegionError) {
            let region = try PublishedRegion.create(options)
            configuration.hub = TraceHub(ringCapacity: ringCapacity, region: region)
            return (region, nil)
        } catch {
            return (nil, "not published: \(error)")
        }
    }

    /// Starts the publisher thread (after the threads published their tids, so the first run
    /// info has them). A failure closes the region and is kept in `publishingError`.
    func startPublisher() {
        guard let region = publishedRegion else { return }
        // Strong captures, like the server threads': the cycle ends when stop() drops the publisher.
        // (A weak reference would give the engine a side table, and every retain and release of it
        // on the hot path would go through that: -16% switches in scripts/bench-publish.)
        let publisher = RegionPublisher(
            region: region, info: { [self] in runInfo() }, snapshot: { [self] in snapshot() })
        do throws(Errno) {
            try publisher.start()
            publishing.withLock { $0.publisher = publisher }
        } catch {
            region.close(exitStatus: nil)
            publishing.withLock { $0.error = "not published: cannot start the publisher thread: \(error)" }
        }
    }

    /// Stops the publisher (it publishes a last snapshot) and closes the region (its file is removed).
    func stopPublisher() {
        let publisher = publishing.withLock { p in
            defer { p.publisher = nil }
            return p.publisher
        }
        publisher?.stop(exitStatus: nil)
        publishedRegion?.close(exitStatus: nil)
    }

    /// The region file while the engine publishes (nil: not published, or stopped).
    public var publishedPath: String? {
        guard let region = publishedRegion, !region.isClosed else { return nil }
        return region.path
    }

    /// Whether the engine's hub lives in a shared-memory region (its events are a viewer's, not
    /// this process's to drain).
    public var isPublished: Bool { publishedRegion != nil }

    /// Why publishing was asked for but is off (one line), nil otherwise: the engine then runs
    /// unpublished, traced in process memory only when its configuration had a hub.
    public var publishingError: String? { publishing.withLock { $0.error } }
}
