import Foundation
import Testing
import WAT
import WasmParser
import WasmcModule
import WasmcValidation

/// Runs the WebAssembly 2.0 spec test suite's module directives through decoding and validation:
/// every module the scripts define must be accepted and every `assert_invalid` module rejected.
///
/// The scripts are read in place from /work/shared/spec (suite pinned there: WebAssembly/testsuite
/// a8101597, identical to the spec's wg-2.0 tag). `(module quote ...)` sources are text for a text
/// parser to reject and are skipped, as are the few `assert_invalid` modules WAT cannot encode
/// (numeric indices out of range; the unit tests cover those rules with binary modules).
///
/// Environment: `WASMC_SPEC_FILTER=name` runs only the files whose name contains `name`;
/// `WASMC_SPEC_VERBOSE=1` lists the skipped directives, every `assert_invalid` whose message differs
/// from the spec's wording, and the binary `assert_malformed` modules that only the validator
/// (decoding function bodies) rejects. Those lists are informational, not failures.
@Suite("WebAssembly 2.0 spec conformance")
struct SpecConformanceTests {
    /// `SPEC_DIR`, or the suite beside the repository (../shared/spec), as scripts/test uses.
    static let specRoot = ProcessInfo.processInfo.environment["SPEC_DIR"]
        ?? URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../../shared/spec").standardized.path

    /// Directives that cannot pass yet, by place ("core/FILE.wast:LINE"), with the reason. They are
    /// reported, not counted as failures; one that starts passing is. None at present.
    static let knownFailures: [String: String] = [:]

    @Test("core suite: modules validate, assert_invalid modules are rejected")
    func coreSuite() throws {
        try Self.run(suite: "core")
    }

    @Test("SIMD suite: modules validate, assert_invalid modules are rejected")
    func simdSuite() throws {
        try Self.run(suite: "simd")
    }

    static func run(suite: String) throws {
        let directory = "\(specRoot)/\(suite)"
        let files = try FileManager.default.contentsOfDirectory(atPath: directory)
            .filter { $0.hasSuffix(".wast") }
            .filter { file in ProcessInfo.processInfo.environment["WASMC_SPEC_FILTER"].map(file.contains) ?? true }
            .sorted()
        try #require(!files.isEmpty, "no .wast files in \(directory)")

        var tally = Tally()
        let clock = ContinuousClock()
        let start = clock.now
        for file in files {
            try tally.run(path: "\(directory)/\(file)", name: "\(suite)/\(file)")
        }
        let total = clock.now - start

        print(
            """
            [\(suite)] \(files.count) files
              modules validated:          \(tally.modulesValidated)/\(tally.modules)
              other valid modules:        \(tally.otherValidated)/\(tally.others) (assert_trap/assert_unlinkable/assert_uninstantiable)
              assert_invalid rejected:    \(tally.invalidRejected)/\(tally.invalid) (\(tally.invalidMessageMatches) with the spec's message)
              assert_malformed (binary):  \(tally.malformedRejected)/\(tally.malformed) rejected, \(tally.malformedRejectedByValidator.count) of them by the validator (informational)
              known failures:             \(tally.knownFailures.count)
              skipped:                    \(tally.quoted) quoted modules, \(tally.textErrors.count) assert_invalid the text parser cannot encode
              time:                       \(total) in all, \(tally.checkTime) decoding and validating, \(tally.encodeTime) encoding
            """)
        if !tally.textErrors.isEmpty {
            print("  (the text parser refuses \(tally.textErrors.count) assert_invalid modules with out-of-range numeric indices)")
        }
        if ProcessInfo.processInfo.environment["WASMC_SPEC_VERBOSE"] != nil {
            for line in tally.textErrors { print("  text parser: \(line)") }
            for line in tally.messageMismatches { print("  message: \(line)") }
            for line in tally.malformedAccepted { print("  malformed accepted: \(line)") }
            for line in tally.malformedRejectedByValidator { print("  malformed, caught by the validator: \(line)") }
        }
        for (place, failure) in tally.knownFailures {
            print("  known failure: \(place): \(failure)\n    because \(knownFailures[place]!)")
        }
        for (place, _) in knownFailures where place.hasPrefix("\(suite)/") && files.contains(where: place.contains) {
            if !tally.knownFailures.contains(where: { $0.place == place }) {
                Issue.record("\(place) is listed as a known failure but passes: remove it from the list")
            }
        }
        for failure in tally.failures {
            Issue.record(Comment(rawValue: failure))
        }
        #expect(tally.failures.isEmpty, "\(tally.failures.count) spec directives disagree with the validator in \(suite)")
    }

    /// Counts and failures of one suite.
    struct Tally {
        var modules = 0, modulesValidated = 0
        var others = 0, otherValidated = 0
        var invalid = 0, invalidRejected = 0, invalidMessageMatches = 0
        var malformed = 0, malformedRejected = 0
        var quoted = 0
        var failures: [String] = []
        var knownFailures: [(place: String, failure: String)] = []
        var textErrors: [String] = []
        var messageMismatches: [String] = []
        var malformedAccepted: [String] = []
        var malformedRejectedByValidator: [String] = []
        var checkTime = Duration.zero
        var encodeTime = Duration.zero

        mutating func run(path: String, name: String) throws {
            let source = try String(contentsOfFile: path, encoding: .utf8)
            var wast = try parseWAST(source, features: [.referenceTypes, .simd])
            var lines: [Substring]?
            while let (result, location) = wast.nextDirectiveResult() {
                // Computing a line scans the script from its start: only do it for a message.
                var place: String { "\(name):\(location.computeLineAndColumn().line)" }
                let directive: WASTDirective
                switch result {
                case .success(let parsed):
                    directive = parsed
                case .failure(let error):
                    // WAT refuses to encode out-of-range numeric indices, which only
                    // `assert_invalid` modules use; anything else it cannot read is a failure.
                    let line = location.computeLineAndColumn().line
                    if lines == nil { lines = source.split(separator: "\n", omittingEmptySubsequences: false) }
                    if let lines, line <= lines.count, lines[line - 1].contains("(assert_invalid") {
                        textErrors.append("\(place): \(error.error)")
                    } else {
                        failures.append("\(place): the text parser cannot read this directive: \(error.error)")
                    }
                    continue
                }
                switch directive {
                case .module(let module):
                    guard let bytes = binary(module.source, place: place) else { continue }
                    modules += 1
                    if let error = check(bytes) {
                        fail(place, "valid module rejected: \(error)")
                    } else {
                        modulesValidated += 1
                    }
                case .assertInvalid(let module, let message):
                    guard let bytes = binary(module.source, isInvalid: true, place: place) else { continue }
                    invalid += 1
                    if let error = check(bytes) {
                        invalidRejected += 1
                        if error.message.hasPrefix(message) {
                            invalidMessageMatches += 1
                        } else {
                            messageMismatches.append("\(place): expected \"\(message)\", got \(error)")
                        }
                    } else {
                        fail(place, "invalid module accepted (expected \"\(message)\")")
                    }
                case .assertMalformed(let module, let message):
                    guard case .binary(let bytes) = module.source else { continue }
                    malformed += 1
                    if let error = check(bytes) {
                        malformedRejected += 1
                        if (try? decodeModule(bytes)) != nil {
                            malformedRejectedByValidator.append("\(place): expected \"\(message)\", got \(error)")
                        }
                    } else {
                        malformedAccepted.append("\(place): expected \"\(message)\"")
                    }
                case .assertUnlinkable(let wat, _):
                    checkOther(wat, place: place)
                case .assertTrap(.wat(let wat), _), .assertReturn(.wat(let wat), _):
                    checkOther(wat, place: place)
                default:
                    break
                }
            }
        }

        mutating func fail(_ place: String, _ failure: String) {
            if SpecConformanceTests.knownFailures[place] != nil {
                knownFailures.append((place, failure))
            } else {
                failures.append("\(place): \(failure)")
            }
        }

        /// A module that must be valid but that the script does not define with `module`.
        mutating func checkOther(_ wat: Wat, place: @autoclosure () -> String) {
            let bytes: [UInt8]
            do {
                bytes = try wat.encode()
            } catch {
                failures.append("\(place()): the text parser cannot encode this valid module: \(error)")
                return
            }
            others += 1
            if let error = check(bytes) {
                fail(place(), "valid module rejected: \(error)")
            } else {
                otherValidated += 1
            }
        }

        /// The module's binary, or nil for `quote` sources (text-format tests) and encoding failures.
        mutating func binary(_ source: ModuleSource, isInvalid: Bool = false, place: @autoclosure () -> String) -> [UInt8]? {
            switch source {
            case .text(let wat):
                let clock = ContinuousClock()
                let start = clock.now
                defer { encodeTime += clock.now - start }
                do {
                    return try wat.encode()
                } catch where isInvalid {
                    textErrors.append("\(place()): \(error)")
                    return nil
                } catch {
                    failures.append("\(place()): the text parser cannot encode this valid module: \(error)")
                    return nil
                }
            case .binary(let bytes):
                return bytes
            case .quote:
                quoted += 1
                return nil
            }
        }

        /// Decodes and validates; the error, or nil when the module is valid.
        mutating func check(_ bytes: [UInt8]) -> ModuleError? {
            let clock = ContinuousClock()
            let start = clock.now
            defer { checkTime += clock.now - start }
            do {
                try validateModule(try decodeModule(bytes), features: .wasm2)
                return nil
            } catch {
                return error
            }
        }
    }
}
