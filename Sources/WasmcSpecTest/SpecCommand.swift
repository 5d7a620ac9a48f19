import Wasmc

/// What a script asks of compiled code, once `WastRunner` has done what the host decides alone
/// (parsing, decoding and validation). An engine runs these: `LocalEngine` in this process
/// through the Swift shim, or `PlanWriter` for a C driver on another architecture.
enum SpecCommand {
    /// Instantiates a module, which becomes the current one (and a named one, with an id) when
    /// instantiation succeeds.
    case instantiate(wasm: [UInt8], id: String?, category: Category, expect: InstantiationOutcome)
    /// Makes a module's exports importable under `name` (a byte string, as wasm names are).
    case register(name: [UInt8], module: String?)
    case perform(SpecAction, category: Category, expect: ActionOutcome)
}

enum InstantiationOutcome {
    case success
    /// The start function or a segment traps with this message.
    case trap(String)
    /// Linking fails (unknown import or incompatible type).
    case linkError(String)
}

enum SpecAction {
    case invoke(module: String?, name: String, arguments: [Wasmc.Value])
    case get(module: String?, name: String)

    var description: String {
        switch self {
        case .invoke(_, let name, let arguments): return "\(name)(\(arguments.map(\.description).joined(separator: ", ")))"
        case .get(_, let name): return "get \(name)"
        }
    }
}

enum ActionOutcome {
    /// Any results, no trap (a bare `invoke` command).
    case anyResults
    case results([ExpectedValue])
    case trap(String)
    /// An uncaught wasm exception (`assert_exception`).
    case exception
}

/// Runs commands and records their results.
protocol SpecEngine {
    /// Runs or queues one command from `line` of the script.
    func run(_ command: SpecCommand, line: Int, into result: inout FileResult)
    /// Called once after the last command: an engine that queued commands runs them now.
    func finish(into result: inout FileResult)
}

/// The reference interpreter's messages may carry more detail than ours ("uninitialized
/// element 2"); the trap kind must be the same.
func trapMessageMatches(_ actual: String, _ expected: String) -> Bool {
    expected.hasPrefix(actual) || actual.hasPrefix(expected)
}
