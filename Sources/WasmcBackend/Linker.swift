import Foundation
import WasmcRuntime
#if canImport(Glibc)
import Glibc
#endif

/// Links object files into a shared object with ld.lld-19, and writes compiler outputs in place
/// atomically.
enum Linker {
    /// The linker: `linker` (`CompileOptions.linker`, which `applyEnvironment` may find on
    /// PATH), else ld.lld-19 where Debian installs it.
    static func executable(_ linker: String?) -> String {
        linker ?? find(in: ["/usr/bin", "/usr/lib/llvm-19/bin"]) ?? "/usr/lib/llvm-19/bin/ld.lld"
    }

    /// The first ld.lld-19 in `directories`, or nil.
    static func find(in directories: [String]) -> String? {
        directories.lazy.map { "\($0)/ld.lld-19" }.first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    /// A temporary directory for the object files of one link, removed with the value.
    final class ObjectFiles: @unchecked Sendable {
        let directory: URL

        init() throws(CompileError) {
            directory = FileManager.default.temporaryDirectory
                .appendingPathComponent("wasmc-\(ProcessInfo.processInfo.processIdentifier)-\(UUID().uuidString)")
            do {
                try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            } catch {
                throw .backend("cannot create a temporary directory: \(error)")
            }
        }

        deinit { try? FileManager.default.removeItem(at: directory) }

        /// Writes the file `name` in the directory (threads may write different files at once);
        /// returns its path.
        func write(_ contents: Data, name: String) throws(CompileError) -> String {
            let path = self.path(name)
            guard FileManager.default.createFile(atPath: path, contents: contents) else {
                throw .backend("cannot write \(path)")
            }
            return path
        }

        /// The path of the file `name` in the directory.
        func path(_ name: String) -> String { directory.appendingPathComponent(name).path }
    }

    /// A section to add to a linked .so (not loaded by dlopen): its name, the file holding its
    /// contents, and the alignment of its file offset.
    struct Section {
        var name: String
        var contents: String
        var alignment: UInt64
    }

    /// Links `objectPaths` into the shared object `output` and adds `sections` to it (the data
    /// image's `.wasmc.data`, the wasm inside's `.wasmc.wasm`: `ELFObject.appendSection`).
    static func linkSharedObject(objectPaths: [String], output: String, linker: String?, sections: [Section] = []) throws(CompileError) {
        let executable = Self.executable(linker)
        // Link next to the output, then rename: a failed link never leaves a half-written file.
        let partial = output + ".partial-\(ProcessInfo.processInfo.processIdentifier)"
        let arguments = ["-shared", "--eh-frame-hdr", "--hash-style=gnu", "-z", "noexecstack", "-z", "relro", "-z", "now", "-o", partial] + objectPaths
        let (status, messages) = try run(executable, arguments)
        guard status == 0 else {
            try? FileManager.default.removeItem(atPath: partial)
            let text = String(decoding: messages, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            throw .backend("\(executable) failed (exit status \(status))\(text.isEmpty ? "" : ": " + text)")
        }
        do {
            for section in sections {
                try ELFObject.appendSection(to: partial, name: section.name, contents: section.contents, alignment: section.alignment)
            }
        } catch {
            try? FileManager.default.removeItem(atPath: partial)
            throw error
        }
        try replace(output, with: partial)
    }

    /// Runs `executable` with `arguments`; returns its exit status (128 + the signal if one ended
    /// it) and what it wrote to standard output and error. Through posix_spawn: Foundation's
    /// Process took about 47 ms per run on this machine, more than ld.lld itself (about 33 ms).
    static func run(_ executable: String, _ arguments: [String]) throws(CompileError) -> (status: Int32, output: Data) {
        var ends: [Int32] = [-1, -1]
        guard pipe(&ends) == 0 else {
            throw .backend("cannot create a pipe: \(String(cString: strerror(errno)))")
        }
        // Close-on-exec (dup2 below clears it on the child's 1 and 2), so that a linker started
        // by another thread does not keep this pipe open. (Glibc's pipe2 is not visible to Swift.)
        for end in ends { _ = fcntl(end, F_SETFD, FD_CLOEXEC) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, ends[1], 1)
        posix_spawn_file_actions_adddup2(&actions, ends[1], 2)
        let argv: [UnsafeMutablePointer<CChar>?] = ([executable] + arguments).map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, executable, &actions, nil, argv, environ)
        close(ends[1])
        guard spawned == 0 else {
            close(ends[0])
            throw .backend("cannot run the linker \(executable): \(String(cString: strerror(spawned))) (install lld-19)")
        }
        var output = Data()
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = read(ends[0], &buffer, buffer.count)
            if count > 0 {
                output.append(contentsOf: buffer[0..<count])
            } else if count == 0 || errno != EINTR {
                break
            }
        }
        close(ends[0])
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0, errno == EINTR {}
        let signal = status & 0x7f
        return (signal == 0 ? (status >> 8) & 0xff : 128 + signal, output)
    }

    /// Writes `data` to `output` through a temporary file and a rename, like the linked .so.
    static func write(_ data: Data, to output: String) throws(CompileError) {
        try writeFile(output) { (partial: String) throws(CompileError) in
            guard FileManager.default.createFile(atPath: partial, contents: data) else {
                throw .backend("cannot write \(output)")
            }
        }
    }

    /// Has `write` make a temporary file beside `output`, then renames it to `output`: a file
    /// in use (mapped by a running program) is never rewritten in place, and a failed write
    /// leaves nothing behind.
    static func writeFile(_ output: String, _ write: (String) throws(CompileError) -> Void) throws(CompileError) {
        let partial = output + ".partial-\(ProcessInfo.processInfo.processIdentifier)"
        do {
            try write(partial)
        } catch {
            try? FileManager.default.removeItem(atPath: partial)
            throw error
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
