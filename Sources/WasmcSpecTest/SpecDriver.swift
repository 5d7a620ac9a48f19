import Foundation
import WasmcBackend

/// Runs scripts in child processes, a few at a time, and sums up.
struct SpecDriver {
    /// Passed to each child after `--single FILE`.
    let childArguments: [String]
    let jobs: Int
    let show: Int
    /// A script that runs longer than this is killed and counted as failed.
    let timeout: TimeInterval = 600

    func collect(_ paths: [String]) -> [String] {
        var files: [String] = []
        for path in paths {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
                FileHandle.standardError.write(Data("no such file or folder: \(path)\n".utf8))
                continue
            }
            if isDirectory.boolValue {
                let names = (try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []
                files += names.filter { $0.hasSuffix(".wast") }.sorted().map { "\(path)/\($0)" }
            } else {
                files.append(path)
            }
        }
        return files
    }

    func run(_ files: [String]) -> [FileResult] {
        let results = ResultSlots(count: files.count)
        let queue = OperationQueue()
        queue.maxConcurrentOperationCount = max(1, jobs)
        for (index, file) in files.enumerated() {
            queue.addOperation { results.set(index, runChild(file)) }
        }
        queue.waitUntilAllOperationsAreFinished()
        return results.all()
    }

    private func runChild(_ file: String) -> FileResult {
        let name = (file as NSString).lastPathComponent
        let process = Process()
        // This very executable, in child mode.
        process.executableURL = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        process.arguments = ["--single", file] + childArguments
        let output = Pipe()
        process.standardOutput = output
        let started = Date()
        do {
            try process.run()
        } catch {
            var failed = FileResult(file: name)
            failed.record(.module, false, 0, "cannot start a child: \(error)")
            return failed
        }
        let timer = DispatchSource.makeTimerSource()
        timer.schedule(deadline: .now() + timeout)
        timer.setEventHandler { kill(process.processIdentifier, SIGKILL) }
        timer.resume()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        timer.cancel()
        if process.terminationReason == .exit, process.terminationStatus == 0,
            let result = try? JSONDecoder().decode(FileResult.self, from: data)
        {
            let seconds = Date().timeIntervalSince(started)
            if seconds > 60 { FileHandle.standardError.write(Data("note: \(name) took \(Int(seconds)) s\n".utf8)) }
            return result
        }
        var failed = FileResult(file: name)
        let how = process.terminationReason == .uncaughtSignal ? "signal \(process.terminationStatus)" : "status \(process.terminationStatus)"
        failed.record(.module, false, 0, "the script's process died (\(how)); its commands count as failed")
        failed.failed["crashed_scripts", default: 0] = 1
        return failed
    }

    func report(_ results: [FileResult]) {
        var passed: [String: Int] = [:]
        var failed: [String: Int] = [:]
        var textMalformed = 0
        var skipped: [String: Int] = [:]
        for result in results {
            for (reason, count) in result.skipped { skipped[reason, default: 0] += count }
            for (key, count) in result.passed { passed[key, default: 0] += count }
            for (key, count) in result.failed { failed[key, default: 0] += count }
            textMalformed += result.textMalformed
            let failures = result.failed.values.reduce(0, +)
            let passes = result.passed.values.reduce(0, +)
            print("\(failures == 0 ? "ok  " : "FAIL") \(result.file): \(passes) passed, \(failures) failed")
            for line in result.failures.prefix(show) { print("     \(line)") }
            if result.failures.count > show { print("     ... \(result.failures.count - show) more") }
        }
        print("")
        print("command                  passed   failed")
        for category in Category.allCases {
            let p = passed[category.rawValue, default: 0]
            let f = failed[category.rawValue, default: 0]
            print(category.rawValue.padding(toLength: 24, withPad: " ", startingAt: 0) + String(format: "%7d  %7d", p, f))
        }
        if let crashed = failed["crashed_scripts"] { print("scripts that crashed or timed out: \(crashed)") }
        print("text-format assert_malformed (not counted: they test a text parser): \(textMalformed)")
        for (reason, count) in skipped.sorted(by: { $0.key < $1.key }) { print("skipped, \(reason): \(count)") }
        let totalPassed = passed.values.reduce(0, +)
        let totalFailed = failed.filter { $0.key != "crashed_scripts" }.values.reduce(0, +)
        print("\(totalPassed) passed, \(totalFailed) failed")
    }

    /// The baseline file: lines "NAME MIN_PASSED  # why the rest fails" (a script of which at
    /// least that many commands pass) and "NAME:LINE  # why" (the command at that line of the
    /// script is known to fail; the others must pass). Returns false (and says why) when a script
    /// passes fewer commands than its floor, fails a command not listed for it, or, not listed
    /// at all, fails anything.
    func check(_ results: [FileResult], baseline path: String) -> Bool {
        var minimum: [String: Int] = [:]
        var knownLines: [String: Set<Int>] = [:]
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
            print("cannot read the baseline \(path)")
            return false
        }
        for line in text.split(separator: "\n") {
            let content = line.split(separator: "#", maxSplits: 1).first.map(String.init) ?? ""
            let fields = content.split(separator: " ")
            if fields.count >= 2, let count = Int(fields[1]) {
                minimum[String(fields[0])] = count
            } else if fields.count == 1, let colon = fields[0].lastIndex(of: ":"), let number = Int(fields[0][colon...].dropFirst()) {
                knownLines[String(fields[0][..<colon]), default: []].insert(number)
            }
        }
        var ok = true
        for result in results {
            let passes = result.passed.values.reduce(0, +)
            let failures = result.failed.values.reduce(0, +)
            if let known = knownLines[result.file] {
                // "FILE:LINE: category: why"
                let failedLines = result.failures.map { failure in
                    Int(failure.dropFirst(result.file.count + 1).prefix { $0 != ":" }) ?? 0
                }
                let unexpected = zip(failedLines, result.failures).filter { !known.contains($0.0) }
                for (_, failure) in unexpected { print("REGRESSION \(failure)  (not in the baseline)") }
                if !unexpected.isEmpty { ok = false }
                let fixed = known.subtracting(failedLines).sorted()
                if !fixed.isEmpty {
                    print("note: \(result.file) lines \(fixed.map(String.init).joined(separator: ", ")) pass now: remove them from the baseline")
                }
            } else if let floor = minimum[result.file] {
                if passes < floor {
                    print("REGRESSION \(result.file): \(passes) passed, the baseline says at least \(floor)")
                    ok = false
                } else if failures == 0 {
                    print("note: \(result.file) now passes in full: remove it from the baseline")
                } else if passes > floor {
                    print("note: \(result.file) passes \(passes) now (baseline \(floor)): raise the baseline")
                }
            } else if failures > 0 {
                print("REGRESSION \(result.file): \(failures) failed and the file is not in the baseline")
                ok = false
            }
        }
        print(ok ? "baseline check: ok" : "baseline check: FAILED")
        return ok
    }
}

/// Results filled in by concurrent workers.
final class ResultSlots: @unchecked Sendable {
    private var slots: [FileResult?]
    private let lock = NSLock()

    init(count: Int) { slots = Array(repeating: nil, count: count) }

    func set(_ index: Int, _ result: FileResult) {
        lock.lock()
        slots[index] = result
        lock.unlock()
    }

    func all() -> [FileResult] { slots.map { $0! } }
}
