import Foundation
import NIOConcurrencyHelpers
import PlexusKit

/// Runs each service as its own child process (`plexus serve <service>`), prefixes its output with a
/// coloured name, and restarts a crashed child with exponential backoff.
final class Supervisor: Sendable {
    struct Child {
        var process: Process
        var startedAt: Date
        var restarts: Int
    }

    let executable: URL
    let services: [ServiceName]
    let environment: [String: String]
    let own: [ServiceName: [String: String]]
    let children = NIOLockedValueBox<[ServiceName: Child]>([:])
    let stopping = NIOLockedValueBox(false)
    static let colours = [36, 35, 33, 32, 34, 31]

    /// `environment` goes to every child, `own[service]` only to that service's.
    init(executable: URL, services: [ServiceName], environment: [String: String], own: [ServiceName: [String: String]]) {
        self.executable = executable
        self.services = services
        self.environment = environment
        self.own = own
    }

    func start(_ service: ServiceName, restarts: Int = 0) {
        guard !stopping.withLockedValue({ $0 }) else { return }
        let process = Process()
        process.executableURL = executable
        process.arguments = ["serve", service.rawValue]
        process.environment = environment.merging(own[service] ?? [:]) { _, mine in mine }
        let colour = Self.colours[(services.firstIndex(of: service) ?? 0) % Self.colours.count]
        let prefix = "\u{1B}[\(colour)m\(service.rawValue.padding(toLength: 12, withPad: " ", startingAt: 0))|\u{1B}[0m "
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        process.standardInput = FileHandle.nullDevice
        let buffer = NIOLockedValueBox(Data())
        pipe.fileHandleForReading.readabilityHandler = { handle in
            let data = handle.availableData
            guard !data.isEmpty else { handle.readabilityHandler = nil; return }
            let lines = buffer.withLockedValue { pending -> [Data] in
                pending.append(data)
                var lines: [Data] = []
                while let newline = pending.firstIndex(of: 0x0A) {
                    lines.append(pending[pending.startIndex..<newline])
                    pending = Data(pending[(newline + 1)...])
                }
                return lines
            }
            for line in lines { FileHandle.standardError.write(Data(prefix.utf8) + line + Data([0x0A])) }
        }
        process.terminationHandler = { [weak self] finished in
            guard let self, !self.stopping.withLockedValue({ $0 }) else { return }
            let ranFor = Date().timeIntervalSince(self.children.withLockedValue { $0[service]?.startedAt ?? Date() })
            let attempt = ranFor > 60 ? 0 : restarts + 1
            let delay = min(30, 1 << min(attempt, 5))
            say("\(service.rawValue) exited with status \(finished.terminationStatus); restarting in \(delay)s")
            DispatchQueue.global().asyncAfter(deadline: .now() + .seconds(delay)) { self.start(service, restarts: attempt) }
        }
        do {
            try process.runWithDefaultSignalMask()
            children.withLockedValue { $0[service] = Child(process: process, startedAt: Date(), restarts: restarts) }
        } catch {
            say("could not start \(service.rawValue): \(error)")
        }
    }

    /// SIGTERM to every child, then SIGKILL to any still running after ten seconds.
    func stopAll() async {
        stopping.withLockedValue { $0 = true }
        let processes = children.withLockedValue { $0.values.map(\.process) }
        for process in processes where process.isRunning { process.terminate() }
        for _ in 0..<100 where processes.contains(where: \.isRunning) {
            try? await Task.sleep(for: .milliseconds(100))
        }
        for process in processes where process.isRunning { kill(process.processIdentifier, SIGKILL) }
    }
}
