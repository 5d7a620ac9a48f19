#if canImport(FoundationEssentials)
import FoundationEssentials  // not Foundation: it loads ICU, 2 ms and 4 MB at start-up
import Glibc
#else
import Foundation
#endif

/// How much each function of a module ran, recorded by code compiled to count executions
/// (`CompileOptions.instrument`, `wasmc compile --instrument`), and what a compiler makes of it:
/// the functions that do the work compiled at the level asked for, the rest quickly
/// (Documentation/profiles.md).
///
/// A function's count is its calls plus the iterations of its loops: a measure of the work done
/// in it that needs no clock, so the same run gives the same profile.
public struct Profile: Sendable, Equatable {
    /// SHA-256 (hex) of the wasm module the counts are for.
    public var wasmHash: String
    /// The modules linked into it at compile time (`wasmc compile --link`), sorted by name: the
    /// function indices count theirs too, so a profile fits only the same modules linked.
    public var linked: [Linked]
    /// Counts by function index (the whole index space, imported functions first); functions
    /// that never ran have none.
    public var counts: [Int: UInt64]

    public struct Linked: Sendable, Equatable {
        public var name: String
        public var wasmHash: String

        public init(name: String, wasmHash: String) {
            self.name = name
            self.wasmHash = wasmHash
        }
    }

    public init(wasmHash: String, linked: [Linked] = [], counts: [Int: UInt64]) {
        self.wasmHash = wasmHash
        self.linked = linked.sorted { Array($0.name.utf8).lexicographicallyPrecedes(Array($1.name.utf8)) }
        self.counts = counts.filter { $0.value > 0 }
    }

    /// Whether `other` is a profile of the same module: the same wasm, the same modules linked.
    public func isOfSameModule(as other: Profile) -> Bool {
        wasmHash == other.wasmHash && linked == other.linked
    }

    /// The module it is of, as messages name it: "wasm sha256 HEX", and the linked ones.
    public var moduleDescription: String {
        "wasm sha256 \(wasmHash)" + linked.map { " + \($0.name) \($0.wasmHash)" }.joined()
    }

    /// A profile from a module's execution counters (`wasmc_module_profile_counts`): one per
    /// defined function, after `importedFunctions` imported ones.
    public init(wasmHash: String, linked: [Linked] = [], importedFunctions: Int, definedCounts: [UInt64]) {
        var counts: [Int: UInt64] = [:]
        for (defined, count) in definedCounts.enumerated() where count > 0 { counts[importedFunctions + defined] = count }
        self.init(wasmHash: wasmHash, linked: linked, counts: counts)
    }

    /// Adds the counts of another run of the same module (saturating).
    public mutating func merge(_ other: Profile) throws(ProfileError) {
        guard isOfSameModule(as: other) else {
            throw ProfileError("the profiles are of different modules (\(moduleDescription), and \(other.moduleDescription))")
        }
        for (function, count) in other.counts {
            let (sum, overflow) = counts[function, default: 0].addingReportingOverflow(count)
            counts[function] = overflow ? .max : sum
        }
    }

    // MARK: Text form

    static let header = "# wasmc profile 1"

    /// The profile as a text file: a header line, `wasm-sha256 HEX`, a line `linked-sha256 HEX
    /// NAME` per linked module (NAME to the end of the line, `\` and line breaks escaped as
    /// `\\` and `\n`), then one line per function that ran, `INDEX COUNT [NAME]`, most counted
    /// first. `names` (by function index) are for the reader only (a line break in one becomes
    /// a space).
    public func text(names: [Int: String] = [:]) -> String {
        var lines = [Self.header, "# function index, calls + loop iterations, name", "wasm-sha256 \(wasmHash)"]
        for module in linked {
            let name = module.name.map { $0 == "\\" ? "\\\\" : $0 == "\n" ? "\\n" : String($0) }.joined()
            lines.append("linked-sha256 \(module.wasmHash) \(name)")
        }
        for (function, count) in counts.sorted(by: { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }) {
            let name = names[function].map { " " + String($0.map { $0.isNewline ? " " : $0 }) } ?? ""
            lines.append("\(function) \(count)\(name)")
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// Reads a profile file; errors name the file (and the line).
    public init(file path: String) throws(ProfileError) {
        guard let data = FileManager.default.contents(atPath: path) else { throw ProfileError("cannot read \(path)") }
        do {
            try self.init(text: String(decoding: data, as: UTF8.self))
        } catch {
            throw ProfileError("\(path): \(error)")
        }
    }

    /// Reads the text form; errors name the line.
    public init(text: String) throws(ProfileError) {
        guard !text.isEmpty else { throw ProfileError("empty file: not a wasmc profile") }
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        guard lines[0] == Self.header else { throw ProfileError("line 1: not a wasmc profile (expected \"\(Self.header)\")") }
        var hash: String?
        var linked: [Linked] = []
        var counts: [Int: UInt64] = [:]
        for (number, line) in zip(2..., lines.dropFirst()) {
            let where_ = "line \(number)"
            if line.isEmpty || line.hasPrefix("#") { continue }
            let fields = line.split(separator: " ", maxSplits: 2, omittingEmptySubsequences: true)
            if fields.first == "wasm-sha256" {
                guard hash == nil else { throw ProfileError("\(where_): a second wasm-sha256 line") }
                guard fields.count == 2, fields[1].count == 64, fields[1].allSatisfy(\.isHexDigit) else {
                    throw ProfileError("\(where_): expected wasm-sha256 and 64 hex digits")
                }
                hash = String(fields[1]).lowercased()
                continue
            }
            if fields.first == "linked-sha256" {
                guard fields.count == 3, fields[1].count == 64, fields[1].allSatisfy(\.isHexDigit) else {
                    throw ProfileError("\(where_): expected linked-sha256, 64 hex digits and a name")
                }
                var name = ""
                var escaped = false
                for character in fields[2] {
                    if escaped {
                        name.append(character == "n" ? "\n" : character)
                        escaped = false
                    } else if character == "\\" {
                        escaped = true
                    } else {
                        name.append(character)
                    }
                }
                guard !linked.contains(where: { $0.name == name }) else { throw ProfileError("\(where_): \(name) is linked twice") }
                linked.append(Linked(name: name, wasmHash: String(fields[1]).lowercased()))
                continue
            }
            guard fields.count >= 2, let function = Int(fields[0]), function >= 0, let count = UInt64(fields[1]) else {
                throw ProfileError("\(where_): expected FUNCTION-INDEX COUNT [NAME], got \"\(line)\"")
            }
            guard counts[function] == nil else { throw ProfileError("\(where_): function \(function) appears twice") }
            counts[function] = count
        }
        guard let hash else { throw ProfileError("no wasm-sha256 line: the profile does not say which module it is for") }
        self.init(wasmHash: hash, linked: linked, counts: counts)
    }

    // MARK: What a compiler makes of it

    /// The share of all counts that the hot functions together hold at least, by default (the
    /// rest of the functions that ran are warm). jsonpp runs as fast with 99.9% as without a
    /// profile, and 2-5% slower with 99%, which compiles in 0.22 s instead of 0.30 s
    /// (Documentation/profiles.md).
    public static let defaultHotShare = 0.999

    /// How the functions of a module divide up: `hot` did at least the hot share of the
    /// counted work, `warm` the rest, `cold` never ran. Each is a set of function indices.
    public struct Tiers: Sendable, Equatable {
        public var hot: Set<Int> = []
        public var warm: Set<Int> = []
        public var cold: Set<Int> = []

        public init(hot: Set<Int> = [], warm: Set<Int> = [], cold: Set<Int> = []) {
            self.hot = hot
            self.warm = warm
            self.cold = cold
        }
    }

    /// The tiers of the defined functions `functions` (indices), for a module this profile is of:
    /// the most counted functions that together hold `hotShare` (0 to 1) of the counts are hot.
    /// Functions with equal counts share a tier, so the order of functions does not matter.
    public func tiers(of functions: Range<Int>, hotShare: Double = Profile.defaultHotShare) -> Tiers {
        var tiers = Tiers()
        let ran = counts.filter { functions.contains($0.key) }
        let total = ran.values.reduce(0.0) { $0 + Double($1) }
        var sum = 0.0
        var hotCount = UInt64.max
        for count in ran.values.sorted(by: >) where sum < total * hotShare {
            sum += Double(count)
            hotCount = count
        }
        for function in functions {
            let count = ran[function] ?? 0
            if count == 0 { tiers.cold.insert(function) }
            else if count >= hotCount { tiers.hot.insert(function) }
            else { tiers.warm.insert(function) }
        }
        return tiers
    }
}

/// A profile that cannot be read, or does not fit the module.
public struct ProfileError: Error, CustomStringConvertible, Sendable {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}
