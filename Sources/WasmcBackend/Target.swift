import CLLVM
import CLLVMSubtarget
import Synchronization

/// The machine code is generated for: an LLVM target triple, a CPU and a feature string.
///
/// `wasmc compile` picks the host by default (its CPU with every feature it has, like clang's
/// `-march=native`); `--cpu` and `--cpu-features` choose others through `resolve`, which rejects
/// names LLVM does not know (LLVM itself would only warn and ignore them). The triple is a
/// parameter everywhere so that cross targets (`--target`) only need to pass another one.
public struct Target: Sendable, Equatable {
    /// An LLVM target triple, e.g. "x86_64-pc-linux-gnu".
    public var triple: String
    /// An LLVM CPU name of the triple's target, e.g. "x86-64-v3" or "znver3".
    public var cpu: String
    /// LLVM's feature string, applied on top of the CPU's own features: "+avx2,-fma,...".
    public var features: String

    public init(triple: String, cpu: String, features: String) {
        self.triple = triple
        self.cpu = cpu
        self.features = features
    }

    /// The machine wasmc runs on, with every feature its CPU has.
    public static let host = Target(triple: hostTriple, cpu: hostCPU, features: hostFeatures)

    /// The CPU name that means "the host's CPU with all its features".
    public static let nativeCPU = "native"

    /// The target for a command line's choices, its names checked against LLVM's tables.
    /// - Parameters:
    ///   - triple: the target triple (`aarch64-linux-gnu`, `riscv64-unknown-linux-gnu`...,
    ///     normalised by `normalize`); nil for the host's.
    ///   - cpu: a CPU name of the target, or "native"; nil means native for the host and
    ///     `defaultCPU` for another architecture.
    ///   - features: comma-separated `+name` (enable) or `-name` (disable) entries, applied on top
    ///     of the CPU's own features; a bare `name` enables. Nil or empty changes nothing.
    public static func resolve(triple: String? = nil, cpu: String? = nil, features: String? = nil)
        throws(TargetError) -> Target
    {
        let triple = try triple.map(normalize) ?? hostTriple
        let tables = try Tables.of(triple)
        var base: Target
        switch cpu {
        case nil where triple != hostTriple:
            base = Target(triple: triple, cpu: defaultCPU(triple), features: "")
        case nil, nativeCPU?:
            guard triple == hostTriple else { throw .nativeForeignTarget(triple) }
            base = host
        case let name?:
            guard tables.cpus.contains(name) else {
                throw .unknownCPU(name, triple: triple, suggestion: closest(to: name, in: tables.cpus))
            }
            base = Target(triple: triple, cpu: name, features: "")
        }
        let overrides = try parseFeatures(features ?? "", tables: tables)
        base.features = ([base.features, abiFeatures(triple)].filter { !$0.isEmpty } + overrides)
            .joined(separator: ",")
        return base
    }

    /// The architectures `--target` accepts, as LLVM spells them, with other common spellings.
    public static let architectures: [String: String] = [
        "x86_64": "x86_64", "amd64": "x86_64", "aarch64": "aarch64", "arm64": "aarch64",
        "riscv64": "riscv64",
    ]

    /// A `--target` as the triple wasmc compiles for: `ARCH-linux-gnu` or `ARCH-VENDOR-linux-gnu`
    /// with ARCH x86_64, aarch64 or riscv64. The host's architecture gives the host's own triple
    /// (so `native` stays available); another gives `ARCH-unknown-linux-gnu`.
    public static func normalize(_ triple: String) throws(TargetError) -> String {
        let parts = triple.lowercased().split(separator: "-", omittingEmptySubsequences: false).map(String.init)
        let supported = "supported: aarch64-linux-gnu, riscv64-linux-gnu, x86_64-linux-gnu"
        guard let arch = architectures[parts[0]] else {
            throw .unknownTarget("\(triple): architecture \"\(parts[0])\" is not one wasmc compiles for (\(supported))")
        }
        guard (parts.count == 3 || parts.count == 4), parts[parts.count - 2] == "linux",
            parts[parts.count - 1] == "gnu"
        else {
            throw .unknownTarget("\(triple): only Linux with glibc is supported (\(supported))")
        }
        if hostTriple.hasPrefix(arch + "-") { return hostTriple }
        return "\(arch)-unknown-linux-gnu"
    }

    /// The CPU for another architecture when `--cpu` is not given: the oldest the Linux ABI of
    /// that architecture allows, so the .so runs on any server of it.
    public static func defaultCPU(_ triple: String) -> String {
        if triple.hasPrefix("aarch64") { return "generic" }  // Armv8.0-A; NEON is part of the ABI
        if triple.hasPrefix("riscv64") { return "generic-rv64" }  // with abiFeatures: rv64gc
        return "x86-64"
    }

    /// Features every CPU of the triple's Linux ABI has, added whatever `--cpu` says: riscv64
    /// Linux is rv64gc with the lp64d ABI (glibc refuses soft-float objects). `+v` (RVV) is
    /// not part of it: add it with `--cpu-features +v`.
    public static func abiFeatures(_ triple: String) -> String {
        triple.hasPrefix("riscv64") ? "+m,+a,+f,+d,+c" : ""
    }

    /// Checks the CPU and feature names against LLVM's tables (for targets built by hand
    /// rather than through `resolve`).
    public func validate() throws(TargetError) {
        let tables = try Tables.of(triple)
        if !tables.cpus.contains(cpu) {
            throw .unknownCPU(cpu, triple: triple, suggestion: Self.closest(to: cpu, in: tables.cpus))
        }
        _ = try Self.parseFeatures(features, tables: tables)
    }

    /// The instruction-set features the generated code may use, as LLVM names them: the CPU's
    /// and what it implies, changed by `features` the way LLVM applies them, without LLVM's
    /// tuning-only features. "+name,+name,...". The .so records this; the loader refuses the
    /// module on a CPU lacking any of them.
    public func requiredFeatures() throws(TargetError) -> String {
        try Self.llvmString { wasmc_llvm_required_features(triple, cpu, features, $0) }
    }

    // MARK: LLVM's tables

    private static var hostTriple: String {
        LLVMSupport.initialize()
        return take(LLVMGetDefaultTargetTriple())
    }
    private static var hostCPU: String { take(LLVMGetHostCPUName()) }
    private static var hostFeatures: String { take(LLVMGetHostCPUFeatures()) }

    private static func take(_ message: UnsafeMutablePointer<CChar>?) -> String {
        guard let message else { return "" }
        defer { LLVMDisposeMessage(message) }
        return String(cString: message)
    }

    /// Calls one of CLLVMSubtarget's functions and takes its string.
    private static func llvmString(
        _ call: (UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> UnsafeMutablePointer<CChar>?
    ) throws(TargetError) -> String {
        LLVMSupport.initialize()
        var error: UnsafeMutablePointer<CChar>?
        guard let result = call(&error) else {
            let message = error.map { String(cString: $0) } ?? "unknown error"
            wasmc_llvm_dispose_message(error)
            throw .unknownTarget(message)
        }
        defer { wasmc_llvm_dispose_message(result) }
        return String(cString: result)
    }

    /// The CPU and feature names LLVM knows for one triple.
    private struct Tables: Sendable {
        var triple: String
        var cpus: Set<String>
        var features: Set<String>

        private static let cache = Mutex<[String: Tables]>([:])

        /// The tables of `triple`, read from LLVM once per process (every compile checks names).
        static func of(_ triple: String) throws(TargetError) -> Tables {
            if let tables = cache.withLock({ $0[triple] }) { return tables }
            let tables = try Tables(triple: triple)
            cache.withLock { $0[triple] = tables }
            return tables
        }

        private init(triple: String) throws(TargetError) {
            func lines(_ text: String) -> Set<String> {
                Set(text.split(separator: "\n").map(String.init))
            }
            self.triple = triple
            cpus = lines(try llvmString { wasmc_llvm_cpu_names(triple, $0) })
            features = lines(try llvmString { wasmc_llvm_feature_names(triple, $0) })
        }
    }

    /// Splits a feature list into `+name`/`-name` entries, each name known to LLVM.
    private static func parseFeatures(_ text: String, tables: Tables) throws(TargetError) -> [String] {
        guard !text.allSatisfy(\.isWhitespace) else { return [] }
        var entries: [String] = []
        for item in text.split(separator: ",", omittingEmptySubsequences: false) {
            var name = item.trimmingWhitespace
            var sign: Character = "+"
            if let first = name.first, first == "+" || first == "-" {
                sign = first
                name = name.dropFirst()
            }
            guard !name.isEmpty else { throw .malformedFeatures(text) }
            guard tables.features.contains(String(name)) else {
                throw .unknownFeature(
                    String(name), triple: tables.triple, suggestion: closest(to: String(name), in: tables.features))
            }
            entries.append("\(sign)\(name)")
        }
        return entries
    }

    /// The known name nearest to a mistyped one, when it is close enough to be a typo.
    static func closest(to name: String, in names: Set<String>) -> String? {
        let limit = max(1, min(3, name.count / 3))
        let ranked = names.map { (name: $0, distance: editDistance(name.lowercased(), $0.lowercased())) }
            .filter { $0.distance <= limit }
            .sorted { ($0.distance, $0.name) < ($1.distance, $1.name) }
        return ranked.first?.name
    }

    /// Levenshtein distance.
    private static func editDistance(_ a: String, _ b: String) -> Int {
        let a = Array(a)
        let b = Array(b)
        var previous = Array(0...b.count)
        for (i, x) in a.enumerated() {
            var current = [i + 1]
            for (j, y) in b.enumerated() {
                current.append(min(previous[j + 1] + 1, current[j] + 1, previous[j] + (x == y ? 0 : 1)))
            }
            previous = current
        }
        return previous[b.count]
    }
}

/// A CPU, feature or target name wasmc cannot compile for.
public enum TargetError: Error, Sendable, Equatable, CustomStringConvertible {
    case unknownTarget(String)
    case unknownCPU(String, triple: String, suggestion: String?)
    case unknownFeature(String, triple: String, suggestion: String?)
    /// The feature list is not comma-separated `+name`/`-name` entries.
    case malformedFeatures(String)
    /// "native" names the host's CPU, which says nothing about another architecture's.
    case nativeForeignTarget(String)

    public var description: String {
        func hint(_ suggestion: String?) -> String { suggestion.map { " (did you mean \"\($0)\"?)" } ?? "" }
        switch self {
        case .unknownTarget(let message):
            return "unknown target: \(message)"
        case .unknownCPU(let name, let triple, let suggestion):
            return "unknown CPU \"\(name)\" for \(triple)\(hint(suggestion))"
        case .unknownFeature(let name, let triple, let suggestion):
            return "unknown CPU feature \"\(name)\" for \(triple)\(hint(suggestion))"
        case .malformedFeatures(let text):
            return "malformed CPU feature list \"\(text)\": expected comma-separated +name or -name entries"
        case .nativeForeignTarget(let triple):
            return "CPU \"native\" is the host's, not one of \(triple)'s: name a CPU"
        }
    }
}

extension Substring {
    fileprivate var trimmingWhitespace: Substring {
        let start = drop(while: \.isWhitespace)
        var end = start.endIndex
        while end > start.startIndex, start[start.index(before: end)].isWhitespace { end = start.index(before: end) }
        return start[..<end]
    }
}
