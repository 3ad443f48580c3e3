import Foundation

extension Process {
    /// Starts the process with no signals blocked.
    ///
    /// Swift concurrency runs on dispatch worker threads, which block most signals, and a spawned
    /// child inherits the spawning thread's mask: a server started from async code would then
    /// ignore SIGTERM and SIGINT and could not be stopped gracefully. The mask is cleared for the
    /// duration of the spawn only.
    public func runWithDefaultSignalMask() throws {
        var empty = sigset_t()
        var previous = sigset_t()
        sigemptyset(&empty)
        pthread_sigmask(SIG_SETMASK, &empty, &previous)
        defer { pthread_sigmask(SIG_SETMASK, &previous, nil) }
        try run()
    }
}
