import Crypto
#if canImport(FoundationEssentials)
import FoundationEssentials
import Glibc
#else
import Foundation
#endif

/// An artifact's signature (`wasmc sign`): a block of 138 bytes appended to the file, framed as
/// a wasm custom section named "wasmc.signature" so that a signed .wasm bundle is still a valid
/// module (a .so ignores bytes after its end). It covers every byte before it: the Ed25519
/// signature of "wasmc-signature-v1", a NUL, the SHA-256 of those bytes and their count (u64
/// little endian). Documentation/artifacts.md has the layout.
public enum ArtifactSignature {
    /// What a file says about its signature.
    public enum Status: Sendable {
        case unsigned
        /// Signed by the key `signer` (its fingerprint); `isValid` when the signature matches
        /// the `contentLength` bytes it covers.
        case signed(signer: String, signerKey: Data, isValid: Bool, contentLength: Int)
        /// A signature block this version cannot read, or a damaged one.
        case malformed(String)
    }

    static let size = 138
    static let magic = Array("WSMCSIG1".utf8)
    static let sectionName = Array("wasmc.signature".utf8)
    static let version: UInt32 = 1
    static let algorithmEd25519: UInt32 = 1
    /// The custom section's header: id 0, its size (132) as a 5-byte LEB128, the name.
    static let header: [UInt8] = [0x00, 0x84, 0x81, 0x80, 0x80, 0x00, UInt8(sectionName.count)] + sectionName

    /// The message the Ed25519 key signs for `content`.
    static func message(for content: UnsafeRawBufferPointer) -> [UInt8] {
        var length = UInt64(content.count).littleEndian
        return Array("wasmc-signature-v1".utf8) + [0] + Array(SHA256.hash(data: content))
            + withUnsafeBytes(of: &length) { Array($0) }
    }

    /// The bytes a signature covers: `bytes` without a signature block at its end.
    public static func content(of bytes: UnsafeRawBufferPointer) -> UnsafeRawBufferPointer {
        guard bytes.count >= size, bytes.suffix(magic.count).elementsEqual(magic) else { return bytes }
        return UnsafeRawBufferPointer(rebasing: bytes[..<(bytes.count - size)])
    }

    public static func status(of bytes: UnsafeRawBufferPointer) -> Status {
        guard bytes.count >= size, bytes.suffix(magic.count).elementsEqual(magic) else { return .unsigned }
        let block = Array(bytes.suffix(size))
        func u32(_ at: Int) -> UInt32 { block[at..<at + 4].reversed().reduce(0) { $0 << 8 | UInt32($1) } }
        guard block.prefix(header.count).elementsEqual(header), u32(126) == UInt32(size) else {
            return .malformed("its signature block is damaged")
        }
        guard u32(22) == version, u32(26) == algorithmEd25519 else {
            return .malformed("its signature block has format \(u32(22)), algorithm \(u32(26)); this wasmc reads format 1, Ed25519")
        }
        let key = Data(block[30..<62]), signature = Data(block[62..<126])
        let content = UnsafeRawBufferPointer(rebasing: bytes[..<(bytes.count - size)])
        let valid = (try? Curve25519.Signing.PublicKey(rawRepresentation: key))?
            .isValidSignature(signature, for: message(for: content)) ?? false
        return .signed(signer: PublicKey.fingerprint(ofSigningKey: key), signerKey: key, isValid: valid, contentLength: content.count)
    }

    /// The signature block that signs `content` with `key`, to append to it.
    public static func block(signing content: UnsafeRawBufferPointer, with key: PrivateKey) throws(WasmcError) -> [UInt8] {
        let signature: Data
        do {
            signature = try key.signing.signature(for: message(for: content))
        } catch {
            throw WasmcError(.key, "cannot sign: \(error)")
        }
        func le(_ value: UInt32) -> [UInt8] { (0..<4).map { UInt8(truncatingIfNeeded: value >> (8 * $0)) } }
        let block = header + le(version) + le(algorithmEd25519) + Array(key.signing.publicKey.rawRepresentation)
            + Array(signature) + le(UInt32(size)) + magic
        precondition(block.count == size, "the signature block's layout")
        return block
    }
}

/// Whose signatures an artifact must carry to be loaded (`wasmc run --trust`, $WASMC_TRUST, the
/// `trust:` of `CompiledModule(path:dataPath:trust:)`): a signature by one of `keys` that matches
/// every byte before it. Unsigned, altered and other signers' artifacts are refused before any
/// of their code is mapped.
public struct TrustPolicy: Sendable {
    public var keys: [PublicKey]

    public init(keys: [PublicKey]) {
        self.keys = keys
    }

    /// Reads the public key files at `paths`.
    public init(keyFiles paths: [String]) throws(WasmcError) {
        var keys: [PublicKey] = []
        for path in paths { keys.append(try PublicKey(file: path)) }
        self.init(keys: keys)
    }

    /// Refuses `bytes` (the artifact `name`) unless one of the keys signed them.
    public func check(_ bytes: UnsafeRawBufferPointer, name: String) throws(WasmcError) {
        switch ArtifactSignature.status(of: bytes) {
        case .unsigned:
            throw WasmcError(.untrusted, "\(name): refused: it is not signed, and a trust policy is set")
        case .malformed(let why):
            throw WasmcError(.untrusted, "\(name): refused: \(why)")
        case .signed(let signer, let key, let isValid, _):
            guard isValid else {
                throw WasmcError(.untrusted, "\(name): refused: its contents do not match its signature (altered after signing by \(signer))")
            }
            guard keys.contains(where: { $0.signing.rawRepresentation == key }) else {
                throw WasmcError(.untrusted, "\(name): refused: signed by \(signer), which is not a trusted key")
            }
        }
    }
}

/// An artifact opened for loading: decrypted into memory when it is encrypted (with `key`), its
/// signature checked under `trust`, before anything else reads it. Whatever loads it then opens
/// `/proc/self/fd/N` of this descriptor: the bytes checked, not the file again.
final class OpenedArtifact {
    let path: String
    let descriptor: Int32
    let isEncrypted: Bool
    /// Whether a trust policy checked its signature.
    let isTrustChecked: Bool
    /// Whether it was decrypted or checked (otherwise the file may be loaded by its path).
    var isChecked: Bool { isEncrypted || isTrustChecked }

    init(path: String, trust: TrustPolicy?, key: PrivateKey?) throws(WasmcError) {
        var fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw WasmcError(.load, "cannot open \(path): \(String(cString: strerror(errno)))") }
        var magic = [UInt8](repeating: 0, count: 8)
        let count = pread(fd, &magic, 8, 0)
        let encrypted = count > 0 && EncryptedArtifact.isEncrypted(magic.prefix(count))
        do throws(WasmcError) {
            if encrypted {
                guard let key else { throw WasmcError(.key, "\(path): encrypted; it needs the private key it was encrypted to (--key)") }
                let decrypted = try CompiledModule.withMapping(of: fd, name: path) { bytes throws(WasmcError) in
                    try EncryptedArtifact.decryptToMemory(bytes, with: key, name: path)
                }
                close(fd)
                fd = decrypted
            }
            if let trust {
                try CompiledModule.withMapping(of: fd, name: path) { bytes throws(WasmcError) in try trust.check(bytes, name: path) }
            }
        } catch {
            close(fd)
            throw error
        }
        self.path = path
        self.descriptor = fd
        self.isEncrypted = encrypted
        self.isTrustChecked = trust != nil
    }

    deinit { close(descriptor) }

    /// Runs `body` with the path of the checked bytes; its errors name the artifact's path.
    func naming<R>(_ body: (String) throws(WasmcError) -> R) throws(WasmcError) -> R {
        let opened = "/proc/self/fd/\(descriptor)"
        do {
            return try body(opened)
        } catch {
            throw WasmcError(error.kind, error.message.replacing(opened, with: path))
        }
    }
}
