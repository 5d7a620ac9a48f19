import Foundation
import WasmcCodegen

/// Compiled shared objects kept between runs, so that compiling an unchanged module again is a
/// lookup: `wasmc run x.wasm` and `CompiledModule(wasm:options:cache:)` use it.
///
/// An entry is `<key>.so` with `<key>.sum` beside it (the .so's size and checksum). The key is
/// the SHA-256 of everything that changes the code: the wasm's hash, the options, the target
/// (triple, CPU, required features) and the compiler's identity (`CompileCache.key`). Entries are written to a temporary name
/// and renamed into place, so none is ever seen half-written, and two processes storing the
/// same entry at once both succeed; an entry whose size or checksum is wrong is removed and
/// rebuilt. Beyond `sizeLimit` bytes the least recently used entries go (a hit touches the
/// `.sum`).
public struct CompileCache: Sendable {
    public let directory: String
    public var sizeLimit: UInt64

    public static let defaultSizeLimit: UInt64 = 4 << 30

    public init(directory: String, sizeLimit: UInt64 = defaultSizeLimit) {
        self.directory = directory
        self.sizeLimit = sizeLimit
    }

    /// The user's cache: `$WASMC_CACHE_DIR`, else `$XDG_CACHE_HOME/wasmc`, else
    /// `$HOME/.cache/wasmc`; `$WASMC_CACHE_SIZE` (in MiB) bounds it. Nil without a home.
    public static func standard(environment: [String: String]) -> CompileCache? {
        let directory: String
        if let explicit = environment["WASMC_CACHE_DIR"], !explicit.isEmpty {
            directory = explicit
        } else if let xdg = environment["XDG_CACHE_HOME"], xdg.hasPrefix("/") {
            directory = xdg + "/wasmc"
        } else if let home = environment["HOME"], !home.isEmpty {
            directory = home + "/.cache/wasmc"
        } else {
            return nil
        }
        let limit = environment["WASMC_CACHE_SIZE"].flatMap(UInt64.init).map { $0 << 20 } ?? defaultSizeLimit
        return CompileCache(directory: directory, sizeLimit: limit)
    }

    // MARK: Keys

    /// The entry key of compiling `wasm` with `options`, or nil when such a compile is not
    /// cached (a profile, output other than a .so, a .so whose data goes to a file of its own,
    /// which the cache does not keep, or one with embedded directories, whose files may change).
    public static func key(wasm: [UInt8], linking links: [(name: String, wasm: [UInt8])] = [], options: CompileOptions) throws(CompileError) -> String? {
        guard options.output == .sharedObject, options.profile == nil, options.dataFile == nil,
            options.embeddedDirectories.isEmpty
        else { return nil }
        let (target, required) = try options.resolvedTarget()
        let lines = [
            "wasm \(ContentHash.sha256Hex(wasm))",
            "options \(options.summary(tiers: nil))",
            "features \(options.features.proposals.map(\.rawValue).sorted().joined(separator: ","))",
            "constants-read-defined-globals \(options.features.constantsReadDefinedGlobals)",
            "target \(target.triple) \(target.cpu) \(required)",
            "compiler \(compilerIdentity)",
            // What tunes LLVM and the linker (not timePasses, which changes no code).
            "loop passes \(options.loopPasses.rawValue)",
            "pipeline \(options.pipeline ?? "-")",
            "llvm arguments \(options.llvmArguments.joined(separator: " "))",
            "linker \(options.linker ?? "-")",
        ]
        // Linked modules by name length, name and hash (the length keeps a name with spaces or
        // newlines from reading as another); none for a module without links, whose key stays
        // what it was.
        let linkLines = links.map { "link \($0.name.utf8.count) \($0.name) \(ContentHash.sha256Hex($0.wasm))" }
        return ContentHash.sha256Hex(Array((lines + linkLines).joined(separator: "\n").utf8))
    }

    /// What tells this compiler apart from another build of it: the ABI version, and the size
    /// and modification time of the executable it runs in (a rebuilt wasmc is another compiler).
    static let compilerIdentity: String = {
        var info = stat()
        let executable = stat("/proc/self/exe", &info) == 0
            ? "\(info.st_size) \(info.st_mtim.tv_sec).\(info.st_mtim.tv_nsec)" : "unknown"
        return "abi \(RuntimeABI.version) executable \(executable)"
    }()

    // MARK: Entries

    func soPath(_ key: String) -> String { "\(directory)/\(key).so" }
    func sumPath(_ key: String) -> String { "\(directory)/\(key).sum" }

    /// The path of the entry for `key` when there is a sound one (and marks it used); a corrupt
    /// one is removed.
    public func lookup(_ key: String) -> String? {
        guard let sum = try? String(contentsOfFile: sumPath(key), encoding: .utf8) else { return nil }
        guard let data = FileManager.default.contents(atPath: soPath(key)), sum == Self.checksum(data) else {
            remove(key)
            return nil
        }
        utimes(sumPath(key), nil)
        return soPath(key)
    }

    /// Makes the .so at `path` the entry for `key` (copying it), then evicts entries beyond
    /// the size limit. Failures leave the cache as it was (it is a cache).
    public func store(_ path: String, key: String) {
        guard let data = FileManager.default.contents(atPath: path) else { return }
        try? FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let unique = "\(ProcessInfo.processInfo.processIdentifier)-\(UUID().uuidString)"
        let soTemporary = "\(directory)/.\(key).so.\(unique)"
        let sumTemporary = "\(directory)/.\(key).sum.\(unique)"
        guard FileManager.default.createFile(atPath: soTemporary, contents: data),
            FileManager.default.createFile(atPath: sumTemporary, contents: Data(Self.checksum(data).utf8))
        else {
            try? FileManager.default.removeItem(atPath: soTemporary)
            try? FileManager.default.removeItem(atPath: sumTemporary)
            return
        }
        // The .so first: a reader that sees the new .sum sees a .so of the same bytes (or, from
        // a concurrent store of the same key, identical ones).
        rename(soTemporary, soPath(key))
        rename(sumTemporary, sumPath(key))
        evict()
    }

    /// Removes the entry for `key`.
    public func remove(_ key: String) {
        unlink(sumPath(key))
        unlink(soPath(key))
    }

    public struct Entry: Sendable {
        public var key: String
        public var bytes: UInt64
        public var lastUse: Date
    }

    /// Every entry, most recently used first.
    public func entries() -> [Entry] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        var result: [Entry] = []
        for name in names where name.hasSuffix(".sum") && !name.hasPrefix(".") {
            let key = String(name.dropLast(4))
            var so = stat(), sum = stat()
            guard stat(soPath(key), &so) == 0, stat(sumPath(key), &sum) == 0 else { continue }
            let lastUse = Date(timeIntervalSince1970: Double(sum.st_mtim.tv_sec) + Double(sum.st_mtim.tv_nsec) / 1e9)
            result.append(Entry(key: key, bytes: UInt64(so.st_size), lastUse: lastUse))
        }
        return result.sorted { $0.lastUse > $1.lastUse }
    }

    /// Removes the least recently used entries until the rest fit the size limit, and
    /// temporaries a crashed writer left behind (older than an hour).
    func evict() {
        var total: UInt64 = 0
        for entry in entries() {
            total += entry.bytes
            if total > sizeLimit { remove(entry.key) }
        }
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        for name in names where name.hasPrefix(".") {
            var info = stat()
            let path = "\(directory)/\(name)"
            if stat(path, &info) == 0, time(nil) - info.st_mtim.tv_sec > 3600 { unlink(path) }
        }
    }

    /// Removes every entry.
    public func clean() {
        for entry in entries() { remove(entry.key) }
        evict()
    }

    /// "size checksum": FNV-1a over the bytes in 64-bit words, fast enough to check a large .so
    /// at every use.
    static func checksum(_ data: Data) -> String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        data.withUnsafeBytes { (bytes: UnsafeRawBufferPointer) in
            let words = bytes.count / 8
            for i in 0..<words {
                hash = (hash ^ bytes.loadUnaligned(fromByteOffset: 8 * i, as: UInt64.self)) &* 0x100_0000_01b3
            }
            for i in (8 * words)..<bytes.count { hash = (hash ^ UInt64(bytes[i])) &* 0x100_0000_01b3 }
        }
        return "\(data.count) \(String(hash, radix: 16))\n"
    }
}
