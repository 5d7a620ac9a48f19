import Crypto
#if canImport(FoundationEssentials)
import FoundationEssentials
import Glibc
#else
import Foundation
#endif
import WasmcRuntime

/// An artifact encrypted to one key pair's owner (`wasmc encrypt --to USER.pub`): X25519 with a
/// key of its own, HKDF-SHA256, then ChaCha20-Poly1305 over chunks of 1 MiB, each authenticated
/// with the header and whether it is the last, so that a file cut short, reordered or altered
/// anywhere is refused. Opened in memory (a sealed memfd), never on disk. Layout:
/// Documentation/artifacts.md, "Encryption".
public enum EncryptedArtifact {
    static let magic = Array("WASMCENC".utf8)
    static let version: UInt32 = 1
    static let headerSize = 96
    static let chunkSize = 1 << 20
    static let tagSize = 16
    static let info = Array("wasmc-encrypt-v1".utf8)

    /// Whether `prefix` (a file's first 8 bytes, or all of a shorter file) starts an encrypted
    /// artifact: its magic, or at least 4 bytes of it in a file cut short (which is then refused
    /// as truncated, not read as something else).
    public static func isEncrypted(_ prefix: some Collection<UInt8>) -> Bool {
        prefix.starts(with: magic) || (prefix.count >= 4 && magic.starts(with: prefix))
    }

    /// The header's fields, as `wasmc inspect` shows them.
    public struct Header: Sendable {
        public var version: UInt32
        public var plaintextSize: UInt64
        public var chunkSize: Int
        /// The fingerprint of the X25519 key it is encrypted to ("x25519:" and 16 bytes in hex).
        public var recipient: String
        var bytes: [UInt8]
        var ephemeralKey: [UInt8]
        var salt: [UInt8]
        var recipientID: [UInt8]

        /// The encrypted file's size this header promises.
        var fileSize: UInt64 {
            let chunks = plaintextSize == 0 ? 1 : (plaintextSize + UInt64(chunkSize) - 1) / UInt64(chunkSize)
            return UInt64(EncryptedArtifact.headerSize) + plaintextSize + chunks * UInt64(EncryptedArtifact.tagSize)
        }
    }

    static func keyID(_ agreementKey: Curve25519.KeyAgreement.PublicKey) -> [UInt8] {
        Array(SHA256.hash(data: agreementKey.rawRepresentation).prefix(16))
    }

    static func hex(_ bytes: some Sequence<UInt8>) -> String {
        bytes.map { ($0 < 16 ? "0" : "") + String($0, radix: 16) }.joined()
    }

    /// The fingerprint of a public key's X25519 half, as encrypted files name their recipient.
    public static func recipientFingerprint(_ key: PublicKey) -> String { "x25519:" + hex(keyID(key.agreement)) }

    public static func header(of bytes: some Collection<UInt8>, name: String) throws(WasmcError) -> Header {
        let b = Array(bytes.prefix(headerSize))
        guard isEncrypted(b.prefix(8)) else { throw WasmcError(.load, "\(name): not an encrypted artifact") }
        guard b.count == headerSize else { throw WasmcError(.load, "\(name): truncated (\(b.count) bytes, the header alone is \(headerSize))") }
        func u32(_ at: Int) -> UInt32 { b[at..<at + 4].reversed().reduce(0) { $0 << 8 | UInt32($1) } }
        func u64(_ at: Int) -> UInt64 { b[at..<at + 8].reversed().reduce(0) { $0 << 8 | UInt64($1) } }
        guard u32(8) == version else {
            throw WasmcError(.load, "\(name): encrypted in format \(u32(8)); this wasmc reads format \(version)")
        }
        guard u32(12) == UInt32(headerSize), b[16] == 1, b[17] == 1, b[18] == 1, u32(20) == UInt32(chunkSize) else {
            throw WasmcError(.load, "\(name): its encryption header is damaged or of algorithms this wasmc does not know")
        }
        let id = Array(b[64..<80])
        return Header(
            version: u32(8), plaintextSize: u64(24), chunkSize: chunkSize, recipient: "x25519:" + hex(id), bytes: b,
            ephemeralKey: Array(b[32..<64]), salt: Array(b[80..<96]), recipientID: id)
    }

    static func nonce(_ index: UInt64) -> ChaChaPoly.Nonce {
        try! ChaChaPoly.Nonce(data: [0, 0, 0, 0] + (0..<8).reversed().map { UInt8(truncatingIfNeeded: index >> (8 * $0)) })
    }

    static func aad(_ header: [UInt8], last: Bool) -> [UInt8] { header + [last ? 1 : 0] }

    /// `plaintext` encrypted to `recipient`: the whole file.
    public static func encrypt(_ plaintext: UnsafeRawBufferPointer, to recipient: PublicKey) throws(WasmcError) -> [UInt8] {
        let ephemeral = Curve25519.KeyAgreement.PrivateKey()
        var salt = [UInt8](repeating: 0, count: 16)
        var generator = SystemRandomNumberGenerator()
        for i in salt.indices { salt[i] = generator.next() }
        func le(_ value: UInt64, _ count: Int) -> [UInt8] { (0..<count).map { UInt8(truncatingIfNeeded: value >> (8 * $0)) } }
        var header = magic + le(UInt64(version), 4) + le(UInt64(headerSize), 4) + [1, 1, 1, 0] + le(UInt64(chunkSize), 4)
        header += le(UInt64(plaintext.count), 8) + Array(ephemeral.publicKey.rawRepresentation)
        header += keyID(recipient.agreement) + salt
        precondition(header.count == headerSize, "the encryption header's layout")
        let key: SymmetricKey
        do {
            key = try derive(ephemeral.sharedSecretFromKeyAgreement(with: recipient.agreement),
                             ephemeral: ephemeral.publicKey, recipient: recipient.agreement, salt: salt)
        } catch {
            throw WasmcError(.key, "cannot agree on a key: \(error)")
        }
        var out = header
        out.reserveCapacity(headerSize + plaintext.count + (plaintext.count / chunkSize + 1) * tagSize)
        var index: UInt64 = 0, at = 0
        repeat {
            let end = min(at + chunkSize, plaintext.count)
            do {
                let box = try ChaChaPoly.seal(
                    UnsafeRawBufferPointer(rebasing: plaintext[at..<end]), using: key, nonce: nonce(index),
                    authenticating: aad(header, last: end == plaintext.count))
                out += box.ciphertext
                out += box.tag
            } catch {
                throw WasmcError(.key, "cannot encrypt: \(error)")
            }
            index += 1
            at = end
        } while at < plaintext.count
        return out
    }

    static func derive(_ secret: SharedSecret, ephemeral: Curve25519.KeyAgreement.PublicKey,
                       recipient: Curve25519.KeyAgreement.PublicKey, salt: [UInt8]) -> SymmetricKey {
        secret.hkdfDerivedSymmetricKey(
            using: SHA256.self, salt: salt,
            sharedInfo: info + Array(ephemeral.rawRepresentation) + Array(recipient.rawRepresentation), outputByteCount: 32)
    }

    /// Decrypts the encrypted artifact `bytes` (the file `name`) with `key` into a new sealed
    /// memfd, returned open: the plaintext exists in memory only.
    public static func decryptToMemory(_ bytes: UnsafeRawBufferPointer, with key: PrivateKey, name: String) throws(WasmcError) -> Int32 {
        let header = try header(of: bytes, name: name)
        guard header.recipientID == keyID(key.agreement.publicKey) else {
            throw WasmcError(.key, "\(name): encrypted to another key (\(header.recipient)), not to this one (x25519:\(hex(keyID(key.agreement.publicKey))))")
        }
        guard UInt64(bytes.count) == header.fileSize else {
            throw WasmcError(.load, "\(name): \(UInt64(bytes.count) < header.fileSize ? "truncated" : "has bytes past its end") "
                + "(\(bytes.count) bytes; its header says \(header.fileSize))")
        }
        let symmetric: SymmetricKey
        do {
            let ephemeral = try Curve25519.KeyAgreement.PublicKey(rawRepresentation: header.ephemeralKey)
            symmetric = derive(try key.agreement.sharedSecretFromKeyAgreement(with: ephemeral), ephemeral: ephemeral,
                               recipient: key.agreement.publicKey, salt: header.salt)
        } catch {
            throw WasmcError(.load, "\(name): its encryption header is damaged (\(error))")
        }
        let fd = wasmc_memory_file_new("wasmc-decrypted")
        guard fd >= 0 else { throw WasmcError(.resource, "\(name): cannot make a memory file: \(String(cString: strerror(errno)))") }
        var ok = false
        defer { if !ok { close(fd) } }
        guard ftruncate(fd, off_t(header.plaintextSize)) == 0 else {
            throw WasmcError(.resource, "\(name): cannot hold \(header.plaintextSize) bytes in memory: \(String(cString: strerror(errno)))")
        }
        var index: UInt64 = 0, at = headerSize, written: UInt64 = 0
        repeat {
            let plainCount = Int(min(UInt64(chunkSize), header.plaintextSize - written))
            let last = written + UInt64(plainCount) == header.plaintextSize
            let ciphertext = UnsafeRawBufferPointer(rebasing: bytes[at..<at + plainCount])
            let tag = UnsafeRawBufferPointer(rebasing: bytes[at + plainCount..<at + plainCount + tagSize])
            let plain: Data
            do {
                let box = try ChaChaPoly.SealedBox(nonce: nonce(index), ciphertext: ciphertext, tag: tag)
                plain = try ChaChaPoly.open(box, using: symmetric, authenticating: aad(header.bytes, last: last))
            } catch {
                throw WasmcError(.load, "\(name): altered or damaged: chunk \(index) (bytes \(at)...) fails authentication")
            }
            let n = plain.withUnsafeBytes { pwrite(fd, $0.baseAddress, $0.count, off_t(written)) }
            guard n == plain.count else { throw WasmcError(.resource, "\(name): cannot write the memory file") }
            written += UInt64(plainCount)
            at += plainCount + tagSize
            index += 1
        } while written < header.plaintextSize
        // Sealed: nothing can change the bytes that are checked and loaded.
        guard wasmc_memory_file_seal(fd) == 0 else {
            throw WasmcError(.resource, "\(name): cannot seal the memory file: \(String(cString: strerror(errno)))")
        }
        ok = true
        return fd
    }
}
