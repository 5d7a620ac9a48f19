import Foundation
import WasmcBackend

/// Shows how far a compile has come on standard error, when that is a terminal and the compile
/// has taken over a second: one line, redrawn four times a second ("wasmc: model.wasm:
/// compiling 40%, 3.1 s, about 4 s left"), erased when the compile ends.
final class ProgressDisplay: @unchecked Sendable {
    private let name: String
    private let start = Date()
    private let lock = NSLock()
    private var latest = CompileProgress(stage: .checking)
    private var stageStart = Date()
    private var shown = false
    private var finished = false
    private let timer: DispatchSourceTimer

    /// A display for compiling `name`, or nil when standard error is not a terminal or `quiet`.
    static func forCompile(of name: String, quiet: Bool) -> ProgressDisplay? {
        quiet || isatty(STDERR_FILENO) == 0 ? nil : ProgressDisplay(name: (name as NSString).lastPathComponent)
    }

    private init(name: String) {
        self.name = name
        timer = DispatchSource.makeTimerSource(queue: DispatchQueue.global(qos: .utility))
        timer.schedule(deadline: .now() + 1, repeating: 0.25)
        timer.setEventHandler { [weak self] in self?.draw() }
        timer.resume()
    }

    /// What `CompileOptions.progress` is set to.
    var reporter: @Sendable (CompileProgress) -> Void { { [self] in report($0) } }

    func report(_ progress: CompileProgress) {
        lock.lock()
        defer { lock.unlock() }
        if progress.stage != latest.stage { stageStart = Date() }
        latest = progress
    }

    private func draw() {
        lock.lock()
        defer { lock.unlock() }
        guard !finished else { return }
        let now = Date()
        var text = "wasmc: \(name): \(latest.stage.rawValue)"
        if let fraction = latest.fraction {
            text += " \(Int(fraction * 100))%"
        }
        text += String(format: ", %.1f s", now.timeIntervalSince(start))
        if let fraction = latest.fraction, fraction >= 0.05, fraction < 1 {
            let left = now.timeIntervalSince(stageStart) * (1 - fraction) / fraction
            text += String(format: ", about %.0f s left", left.rounded(.up))
        }
        FileHandle.standardError.write(Data("\r\u{1B}[K\(text)".utf8))
        shown = true
    }

    /// Stops the display and erases its line.
    func finish() {
        timer.cancel()
        lock.lock()
        defer { lock.unlock() }
        finished = true
        if shown { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)) }
    }
}
