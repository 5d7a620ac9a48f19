import Foundation

/// Links object files into a shared object with ld.lld-19, and writes compiler outputs in place
/// atomically.
enum Linker {
    /// The linker: $WASMC_LLD, else ld.lld-19 from PATH or /usr/bin.
    static var executable: String {
        if let path = ProcessInfo.processInfo.environment["WASMC_LLD"], !path.isEmpty { return path }
        for directory in (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin").split(separator: ":") + ["/usr/bin", "/usr/lib/llvm-19/bin"] {
            let candidate = "\(directory)/ld.lld-19"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return "/usr/lib/llvm-19/bin/ld.lld"
    }

    static func linkSharedObject(objects: [Data], output: String) throws(CompileError) {
        let directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("wasmc-\(ProcessInfo.processInfo.processIdentifier)-\(UUID().uuidString)")
        do {
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        } catch {
            throw .backend("cannot create a temporary directory: \(error)")
        }
        defer { try? FileManager.default.removeItem(at: directory) }
        var objectPaths: [String] = []
        for (index, object) in objects.enumerated() {
            let path = directory.appendingPathComponent("part\(index).o").path
            guard FileManager.default.createFile(atPath: path, contents: object) else {
                throw .backend("cannot write \(path)")
            }
            objectPaths.append(path)
        }
        // Link next to the output, then rename: a failed link never leaves a half-written file.
        let partial = output + ".partial-\(ProcessInfo.processInfo.processIdentifier)"
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = ["-shared", "--hash-style=gnu", "-z", "noexecstack", "-z", "relro", "-z", "now", "-o", partial] + objectPaths
        let errors = Pipe()
        process.standardError = errors
        process.standardOutput = errors
        do {
            try process.run()
        } catch {
            throw .backend("cannot run the linker \(executable): \(error.localizedDescription) (install lld-19)")
        }
        let messages = errors.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            try? FileManager.default.removeItem(atPath: partial)
            throw .backend("\(executable) failed: \(String(decoding: messages, as: UTF8.self))")
        }
        try replace(output, with: partial)
    }

    /// Writes `data` to `output` through a temporary file and a rename, like the linked .so.
    static func write(_ data: Data, to output: String) throws(CompileError) {
        let partial = output + ".partial-\(ProcessInfo.processInfo.processIdentifier)"
        guard FileManager.default.createFile(atPath: partial, contents: data) else {
            throw .backend("cannot write \(output)")
        }
        try replace(output, with: partial)
    }

    private static func replace(_ output: String, with partial: String) throws(CompileError) {
        do {
            if FileManager.default.fileExists(atPath: output) { try FileManager.default.removeItem(atPath: output) }
            try FileManager.default.moveItem(atPath: partial, toPath: output)
        } catch {
            try? FileManager.default.removeItem(atPath: partial)
            throw .backend("cannot write \(output): \(error.localizedDescription)")
        }
    }
}
