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
/// parser to reject and are skipped. Set `WASMC_SPEC_VERBOSE=1` to list every `assert_invalid`
/// whose message differs from the spec's wording (which is informational, not a failure).
@Suite("WebAssembly 2.0 spec conformance")
struct SpecConformanceTests {
    static let specRoot = "/work/shared/spec"

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
              assert_malformed (binary):  \(tally.malformedRejected)/\(tally.malformed) rejected (informational)
              skipped:                    \(tally.quoted) quoted modules, \(tally.textErrors.count) text parse failures
              time:                       \(total) in all, \(tally.checkTime) decoding and validating, \(tally.encodeTime) encoding
            """)
        for failure in tally.textErrors {
            print("  text parser: \(failure)")
        }
        if ProcessInfo.processInfo.environment["WASMC_SPEC_VERBOSE"] != nil {
            for line in tally.messageMismatches { print("  message: \(line)") }
            for line in tally.malformedAccepted { print("  malformed accepted: \(line)") }
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
        var textErrors: [String] = []
        var messageMismatches: [String] = []
        var malformedAccepted: [String] = []
        var checkTime = Duration.zero
        var encodeTime = Duration.zero

        mutating func run(path: String, name: String) throws {
            let source = try String(contentsOfFile: path, encoding: .utf8)
            var wast = try parseWAST(source, features: [.referenceTypes, .simd])
            while let (result, location) = wast.nextDirectiveResult() {
                let line = location.computeLineAndColumn().line
                let place = "\(name):\(line)"
                let directive: WASTDirective
                switch result {
                case .success(let parsed):
                    directive = parsed
                case .failure(let error):
                    textErrors.append("\(place): \(error.error)")
                    continue
                }
                switch directive {
                case .module(let module):
                    guard let bytes = binary(module.source, place: place) else { continue }
                    modules += 1
                    if let error = check(bytes) {
                        failures.append("\(place): valid module rejected: \(error)")
                    } else {
                        modulesValidated += 1
                    }
                case .assertInvalid(let module, let message):
                    guard let bytes = binary(module.source, place: place) else { continue }
                    invalid += 1
                    if let error = check(bytes) {
                        invalidRejected += 1
                        if error.message.hasPrefix(message) {
                            invalidMessageMatches += 1
                        } else {
                            messageMismatches.append("\(place): expected \"\(message)\", got \(error)")
                        }
                    } else {
                        failures.append("\(place): invalid module accepted (expected \"\(message)\")")
                    }
                case .assertMalformed(let module, let message):
                    guard case .binary(let bytes) = module.source else { continue }
                    malformed += 1
                    if check(bytes) != nil {
                        malformedRejected += 1
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

        /// A module that must be valid but that the script does not define with `module`.
        mutating func checkOther(_ wat: Wat, place: String) {
            var wat = wat
            let bytes: [UInt8]
            do {
                bytes = try wat.encode()
            } catch {
                textErrors.append("\(place): \(error)")
                return
            }
            others += 1
            if let error = check(bytes) {
                failures.append("\(place): valid module rejected: \(error)")
            } else {
                otherValidated += 1
            }
        }

        /// The module's binary, or nil for `quote` sources (text-format tests) and encoding failures.
        mutating func binary(_ source: ModuleSource, place: String) -> [UInt8]? {
            switch source {
            case .text(let wat):
                let clock = ContinuousClock()
                let start = clock.now
                defer { encodeTime += clock.now - start }
                do {
                    return try wat.encode()
                } catch {
                    textErrors.append("\(place): \(error)")
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
                try validateModule(try decodeModule(bytes))
                return nil
            } catch {
                return error
            }
        }
    }
}
