import WasmParser

/// A WebAssembly proposal after 2.0, as the 3.0 specification merged them. The raw value is the
/// name errors print: "unsupported: exception handling (tag section) at offset 0x1a".
public enum Proposal: String, Sendable, CaseIterable {
    case extendedConst = "extended-const"
    case multiMemory = "multi-memory"
    case memory64
    case tailCalls = "tail calls"
    case exceptionHandling = "exception handling"
    case typedFunctionReferences = "typed function references"
    case relaxedSIMD = "relaxed SIMD"
    case gc = "garbage collection"
    case threads

    /// The proposals wasmc compiles. The others are refused as "unsupported: ..." wherever they
    /// first show (a section, a type, an instruction), whatever `WasmFeatures` asks for.
    public static let implemented: Set<Proposal> = [.extendedConst, .relaxedSIMD, .multiMemory, .tailCalls, .memory64, .exceptionHandling, .typedFunctionReferences]
}

/// The proposals after WebAssembly 2.0 a compile accepts: a compile option (`--wasm`).
///
/// WebAssembly 3.0 made valid some modules that 2.0 calls invalid or malformed (a global
/// initializer that adds, a second memory); `.wasm2` keeps 2.0's verdicts, which its spec suite
/// checks. The default is every proposal wasmc implements.
public struct WasmFeatures: Sendable, Equatable {
    public var proposals: Set<Proposal>
    /// Whether a constant expression may read every immutable global defined before it (3.0),
    /// not only the imported ones (2.0).
    public var constantsReadDefinedGlobals: Bool

    public init(_ proposals: Set<Proposal>, constantsReadDefinedGlobals: Bool) {
        self.proposals = proposals
        self.constantsReadDefinedGlobals = constantsReadDefinedGlobals
    }

    /// WebAssembly 2.0 exactly.
    public static let wasm2 = WasmFeatures([], constantsReadDefinedGlobals: false)
    /// WebAssembly 3.0, less what wasmc does not implement (`Proposal.implemented`).
    public static let wasm3 = WasmFeatures(Proposal.implemented, constantsReadDefinedGlobals: true)
    public static let `default` = wasm3

    public func allows(_ proposal: Proposal) -> Bool { proposals.contains(proposal) }

    /// `2.0` or `3.0`, as `--wasm` takes them.
    public init?(version: String) {
        switch version {
        case "2.0", "2": self = .wasm2
        case "3.0", "3": self = .wasm3
        default: return nil
        }
    }

    /// What the binary parser (WasmKit's WasmParser) must read so that every proposal it knows
    /// reaches wasmc's own checks, which accept it or refuse it as unsupported by name. Reading is
    /// not accepting: nothing decoded here is compiled unless `allows` says so.
    static let parserFeatures: WasmFeatureSet = .all
}
