import Crypto
#if canImport(FoundationEssentials)
import FoundationEssentials
import Glibc
#else
import Foundation
#endif

/// A wasmc key pair's private half: an Ed25519 key that signs artifacts and an X25519 key that
/// artifacts encrypted to its owner are opened with (`wasmc keygen`; format:
/// Documentation/artifacts.md, "Keys").
public struct PrivateKey: Sendable {
    public let signing: Curve25519.Signing.PrivateKey
    public let agreement: Curve25519.KeyAgreement.PrivateKey

    /// A new pair, from the system's random source.
    public init() {
        signing = Curve25519.Signing.PrivateKey()
        agreement = Curve25519.KeyAgreement.PrivateKey()
    }

    public var publicKey: PublicKey {
        PublicKey(signing: signing.publicKey, agreement: agreement.publicKey)
    }

    /// The key file's text.
    public var text: String {
        KeyText.write(kind: "private", signing: signing.rawRepresentation, agreement: agreement.rawRepresentation)
    }

    /// Reads a private key file's text; `source` names it in errors.
    public init(text: String, source: String) throws(WasmcError) {
        let (signing, agreement) = try KeyText.read(text, kind: "private", source: source)
        do {
            self.signing = try Curve25519.Signing.PrivateKey(rawRepresentation: signing)
            self.agreement = try Curve25519.KeyAgreement.PrivateKey(rawRepresentation: agreement)
        } catch {
            throw WasmcError(.key, "\(source): not a valid private key")
        }
    }

    /// Reads the private key file at `path`.
    public init(file path: String) throws(WasmcError) {
        try self.init(text: try KeyText.contents(of: path), source: path)
    }
}

/// A wasmc key pair's public half: whom signatures are checked against (`--trust`) and whom
/// artifacts are encrypted to (`--to`).
public struct PublicKey: Sendable, Hashable, CustomStringConvertible {
    public let signing: Curve25519.Signing.PublicKey
    public let agreement: Curve25519.KeyAgreement.PublicKey

    public init(signing: Curve25519.Signing.PublicKey, agreement: Curve25519.KeyAgreement.PublicKey) {
        self.signing = signing
        self.agreement = agreement
    }

    public var text: String {
        KeyText.write(kind: "public", signing: signing.rawRepresentation, agreement: agreement.rawRepresentation)
    }

    public init(text: String, source: String) throws(WasmcError) {
        let (signing, agreement) = try KeyText.read(text, kind: "public", source: source)
        do {
            self.signing = try Curve25519.Signing.PublicKey(rawRepresentation: signing)
            self.agreement = try Curve25519.KeyAgreement.PublicKey(rawRepresentation: agreement)
        } catch {
            throw WasmcError(.key, "\(source): not a valid public key")
        }
    }

    public init(file path: String) throws(WasmcError) {
        try self.init(text: try KeyText.contents(of: path), source: path)
    }

    /// The signing key's fingerprint, as messages and `wasmc inspect` name a signer:
    /// "ed25519:" and the first 16 bytes of the key's SHA-256 in hex.
    public var fingerprint: String { Self.fingerprint(ofSigningKey: signing.rawRepresentation) }

    static func fingerprint<D: DataProtocol>(ofSigningKey raw: D) -> String {
        "ed25519:" + SHA256.hash(data: raw).prefix(16).map { ($0 < 16 ? "0" : "") + String($0, radix: 16) }.joined()
    }

    public var description: String { fingerprint }

    public static func == (a: PublicKey, b: PublicKey) -> Bool {
        a.signing.rawRepresentation == b.signing.rawRepresentation
            && a.agreement.rawRepresentation == b.agreement.rawRepresentation
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(signing.rawRepresentation)
        hasher.combine(agreement.rawRepresentation)
    }
}

/// The key files' text: a first line naming the format, then one line per key.
///
///     wasmc private key 1          (or: wasmc public key 1)
///     ed25519 <base64 of 32 bytes>
///     x25519 <base64 of 32 bytes>
enum KeyText {
    static func write(kind: String, signing: Data, agreement: Data) -> String {
        "wasmc \(kind) key 1\ned25519 \(signing.base64EncodedString())\nx25519 \(agreement.base64EncodedString())\n"
    }

    static func read(_ text: String, kind: String, source: String) throws(WasmcError) -> (Data, Data) {
        let lines = text.split(separator: "\n", omittingEmptySubsequences: true).map { line in
            String(line.drop { $0 == " " || $0 == "\t" || $0 == "\r" }.reversed().drop { $0 == " " || $0 == "\t" || $0 == "\r" }.reversed())
        }
        guard lines.first == "wasmc \(kind) key 1" else {
            let other = kind == "private" ? "public" : "private"
            if lines.first == "wasmc \(other) key 1" {
                throw WasmcError(.key, "\(source): a \(other) key, where a \(kind) key is needed")
            }
            throw WasmcError(.key, "\(source): not a wasmc \(kind) key (the first line must be \"wasmc \(kind) key 1\")")
        }
        var keys: [String: Data] = [:]
        for line in lines.dropFirst() {
            let parts = line.split(separator: " ", maxSplits: 1)
            guard parts.count == 2, let bytes = Data(base64Encoded: String(parts[1])), bytes.count == 32 else {
                throw WasmcError(.key, "\(source): malformed line \"\(line.prefix(40))\" (expected: ed25519|x25519 BASE64 of 32 bytes)")
            }
            keys[String(parts[0])] = bytes
        }
        guard let signing = keys["ed25519"], let agreement = keys["x25519"] else {
            throw WasmcError(.key, "\(source): needs an ed25519 and an x25519 line")
        }
        return (signing, agreement)
    }

    static func contents(of path: String) throws(WasmcError) -> String {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw WasmcError(.key, "cannot read the key file \(path)")
        }
        return String(decoding: data, as: UTF8.self)
    }
}
