#if canImport(FoundationEssentials)
import FoundationEssentials  // not Foundation: it loads ICU, 2 ms and 4 MB at start-up
import Glibc
#else
import Foundation
#endif
import WasmcRuntime

/// WASI preview1 (`wasi_snapshot_preview1`) for one instance: the program's arguments,
/// environment, preopened directories and standard streams. The guest reaches the host file
/// system only through the preopened directories (see Runtime/README.md, "WASI").
///
///     var configuration = WASI.Configuration(arguments: ["tool", "input.json"])
///     configuration.preopens = [.init(host: "/srv/data", guest: "/data")]
///     configuration.stdout = .buffer
///     let wasi = try WASI(configuration)
///     let instance = try Instance(module: module, store: store, wasi: wasi)
///     let status = try wasi.run(instance)          // _start; proc_exit's code, or 0
///     let output = wasi.captured(.stdout)
public final class WASI: @unchecked Sendable {
    /// Where a standard stream of the guest goes.
    public enum Stream {
        /// The host process's own stream (fd 0, 1 or 2).
        case inherit
        /// A host file descriptor (the context works on a duplicate).
        case fileDescriptor(Int32)
        /// Collected in memory; read it with `captured(_:)`. For stdin: an empty stream.
        case buffer
        /// No such stream: the guest's fd is closed.
        case closed
    }

    public enum StandardStream: Int { case stdin = 0, stdout = 1, stderr = 2 }

    /// A host directory the guest may use, under the name `guest` ("/", "/data", ".").
    public struct Preopen: Sendable {
        public var host: String
        public var guest: String

        public init(host: String, guest: String) {
            self.host = host
            self.guest = guest
        }
    }

    public struct Configuration {
        /// argv, the program name first.
        public var arguments: [String]
        /// Environment variables in order, as KEY=VALUE pairs.
        public var environment: [(key: String, value: String)]
        public var preopens: [Preopen]
        public var stdin: Stream = .inherit
        public var stdout: Stream = .inherit
        public var stderr: Stream = .inherit
        /// A module whose embedded directories (`CompileOptions.embeddedDirectories`) the program
        /// sees after the preopens, read-only, under the names they were compiled with.
        public var module: CompiledModule?

        public init(arguments: [String] = ["main"], environment: [(key: String, value: String)] = [], preopens: [Preopen] = []) {
            self.arguments = arguments
            self.environment = environment
            self.preopens = preopens
        }
    }

    let raw: OpaquePointer
    /// For an interpreted instance: the memory the context reads guest pointers through, pointed
    /// at the interpreter's memory before each call (Interpreter.swift).
    let interpreterView: UnsafeMutablePointer<wasmc_memory> = {
        let view = UnsafeMutablePointer<wasmc_memory>.allocate(capacity: 1)
        view.initialize(to: wasmc_memory())
        return view
    }()
    /// Unlinked temporary files behind `.buffer` streams, by stream number.
    private var buffers: [Int: Int32] = [:]

    public init(_ configuration: Configuration) throws(WasmcError) {
        var buffers: [Int: Int32] = [:]
        var descriptors: [Int32] = []
        let streams = [configuration.stdin, configuration.stdout, configuration.stderr]
        for (number, stream) in streams.enumerated() {
            switch stream {
            case .inherit: descriptors.append(Int32(number))
            case .fileDescriptor(let fd): descriptors.append(fd)
            case .closed: descriptors.append(-1)
            case .buffer:
                let fd = Self.temporaryFile()
                guard fd >= 0 else {
                    for fd in buffers.values { close(fd) }
                    throw WasmcError(.resource, "cannot create a buffer for the guest's standard stream \(number)")
                }
                buffers[number] = fd
                descriptors.append(fd)
            }
        }
        var error = wasmc_error()
        let created: OpaquePointer? = withCStrings(configuration.arguments) { argv in
            withCStrings(configuration.environment.map { "\($0.key)=\($0.value)" }) { env in
                withCStrings(configuration.preopens.map(\.host)) { hosts in
                    withCStrings(configuration.preopens.map(\.guest)) { guests in
                        var preopens = (0..<hosts.count).map { wasmc_wasi_preopen(host_path: hosts[$0], guest_path: guests[$0]) }
                        return preopens.withUnsafeMutableBufferPointer { preopenBuffer in
                            var config = wasmc_wasi_config()
                            wasmc_wasi_config_init(&config)
                            config.argc = UInt32(argv.count)
                            config.envc = UInt32(env.count)
                            config.npreopens = UInt32(preopenBuffer.count)
                            config.stdin_fd = descriptors[0]
                            config.stdout_fd = descriptors[1]
                            config.stderr_fd = descriptors[2]
                            return argv.withUnsafeBufferPointer { argvBuffer in
                                env.withUnsafeBufferPointer { envBuffer in
                                    config.argv = argvBuffer.baseAddress
                                    config.env = envBuffer.baseAddress
                                    config.preopens = UnsafePointer(preopenBuffer.baseAddress)
                                    // Embedded directories come from a native module's mapped image.
                                    config.module = configuration.module?.isInterpreted == false ? configuration.module?.raw : nil
                                    return wasmc_wasi_new(&config, &error)
                                }
                            }
                        }
                    }
                }
            }
        }
        guard let created else {
            for fd in buffers.values { close(fd) }
            throw WasmcError(error)
        }
        raw = created
        self.buffers = buffers
    }

    deinit {
        wasmc_wasi_delete(raw)
        interpreterView.deallocate()
        for fd in buffers.values { close(fd) }
    }

    /// The module's WASI imports, index by index in import order (nil for other imports).
    /// Throws a link error for an unknown WASI function or one of the wrong type.
    public func imports(for module: CompiledModule) throws(WasmcError) -> [Extern?] {
        let count = module.imports.count
        var externs = [wasmc_extern](repeating: wasmc_extern(), count: max(count, 1))
        var error = wasmc_error()
        guard wasmc_wasi_imports(raw, module.raw, &externs, &error) == 0 else { throw WasmcError(error) }
        return module.imports.enumerated().map { index, entry in
            guard externs[index].is_host != 0, let host = externs[index].of.host else { return nil }
            return .function(Function(runtimeHost: host, type: entry.functionType!, owner: self))
        }
    }

    /// Runs a WASI command: calls `_start` and returns the exit status (0 when `_start` returns,
    /// else the code given to `proc_exit`). Throws `Trap` when the program traps, `WasmException`
    /// when an exception leaves it, `WasmcError` when the instance has no `_start`.
    public func run(_ instance: Instance) throws -> Int32 {
        if instance.interpreted != nil {
            guard let start = instance.function("_start"), start.type.parameters.isEmpty, start.type.results.isEmpty else {
                throw WasmcError(.link, "the module exports no _start function of type [] -> []")
            }
            bind(instance)
            do {
                _ = try start.call([])
                return 0
            } catch let trap as Trap where trap == .hostError {
                if let exitCode { return exitCode }
                throw trap
            }
        }
        var status: Int32 = 0
        var error = wasmc_error()
        if wasmc_wasi_run(raw, instance.store.raw, instance.raw, &status, &error) != 0 {
            if error.kind == WASMC_ERROR_EXCEPTION { throw WasmException(uncaughtIn: instance.store) }
            let failure = WasmcError(error)
            if case .trap(let trap) = failure.kind { throw trap }
            throw failure
        }
        return status
    }

    /// Binds the instance's memory without running `_start`, for library-style modules whose
    /// exports are called directly (`wasmc run --invoke`).
    @discardableResult
    public func bind(_ instance: Instance) -> Bool {
        if let interpreted = instance.interpreted {
            guard let memory = interpreted.exports[memory: "memory"] else { return false }
            view(of: memory)
            return true
        }
        return wasmc_wasi_bind(raw, instance.raw) != 0
    }

    /// After a call that ended with `Trap.hostError`: the exit code if the guest called
    /// `proc_exit`, else nil.
    public var exitCode: Int32? {
        var code: Int32 = 0
        return wasmc_wasi_exited(raw, &code) != 0 ? code : nil
    }

    /// What the guest wrote so far to a stream configured as `.buffer` (empty otherwise).
    public func captured(_ stream: StandardStream) -> Data {
        guard let fd = buffers[stream.rawValue] else { return Data() }
        var data = Data()
        var buffer = [UInt8](repeating: 0, count: 65536)
        var offset: off_t = 0
        while true {
            let count = pread(fd, &buffer, buffer.count, offset)
            if count <= 0 { break }
            data.append(contentsOf: buffer[0..<count])
            offset += off_t(count)
        }
        return data
    }

    /// An unlinked temporary file, open for reading and writing.
    private static func temporaryFile() -> Int32 {
        var template = Array((FileManager.default.temporaryDirectory.path + "/wasmc-wasi-XXXXXX").utf8CString)
        let fd = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
        if fd >= 0 { template.withUnsafeBufferPointer { _ = unlink($0.baseAddress!) } }
        return fd
    }
}

extension Instance {
    /// Instantiates a module that imports WASI: `wasi` supplies the `wasi_snapshot_preview1`
    /// imports, `resolve` the others.
    public convenience init(
        module: CompiledModule, store: Store, wasi: WASI, resolve: (CompiledModule.Import) -> Extern? = { _ in nil }
    ) throws(WasmcError) {
        let provided = try wasi.imports(for: module)
        var imports: [Extern] = []
        for (entry, wasiImport) in zip(module.imports, provided) {
            guard let value = wasiImport ?? resolve(entry) else {
                throw WasmcError(.link, "unknown import \"\(entry.module)\".\"\(entry.name)\"")
            }
            imports.append(value)
        }
        try self.init(module: module, store: store, imports: imports)
        wasi.bind(self)
    }
}

/// Calls `body` with NUL-terminated copies of `strings` (valid only during the call).
private func withCStrings<R>(_ strings: [String], _ body: ([UnsafePointer<CChar>?]) -> R) -> R {
    let copies = strings.map { strdup($0) }
    defer { copies.forEach { free($0) } }
    return body(copies.map { UnsafePointer($0) })
}
