// wasmc keygen, sign and encrypt: the key pairs, signatures and encryption of
// Documentation/artifacts.md.
import ArgumentParser
#if canImport(FoundationEssentials)
import FoundationEssentials
import Glibc
#else
import Foundation
#endif
import Wasmc

public struct Keygen: ParsableCommand {
    public static let configuration = CommandConfiguration(
        abstract: "Make a key pair: NAME.key (private, mode 0600) and NAME.pub.",
        discussion: """
            One pair serves both signing (Ed25519: `wasmc sign --key NAME.key`, checked with \
            `wasmc run --trust NAME.pub`) and encryption to its owner (X25519). The files are \
            text (Documentation/artifacts.md, "Keys"). Existing files are not overwritten.
            """)

    @Argument(help: "The path of the pair without extension: NAME.key and NAME.pub are written.")
    var name: String

    public init() {}

    public func run() throws {
        let key = PrivateKey()
        let privatePath = name + ".key", publicPath = name + ".pub"
        for path in [privatePath, publicPath] where FileManager.default.fileExists(atPath: path) {
            fail("\(path) exists; it is not overwritten (remove it first to make a new pair)", status: 1)
        }
        writeNew(privatePath, key.text, mode: 0o600)
        writeNew(publicPath, key.publicKey.text, mode: 0o644)
        print("\(key.publicKey.fingerprint): wrote \(privatePath) (keep it private) and \(publicPath)")
    }

    /// Creates `path` (never over an existing file) with `mode` from the start.
    private func writeNew(_ path: String, _ text: String, mode: mode_t) {
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode)
        guard fd >= 0 else { fail("cannot create \(path): \(String(cString: strerror(errno)))", status: 1) }
        let bytes = Array(text.utf8)
        let written = write(fd, bytes, bytes.count)
        let synced = fsync(fd) == 0
        close(fd)
        guard written == bytes.count, synced else {
            unlink(path)
            fail("cannot write \(path)", status: 1)
        }
    }
}

public struct Sign: ParsableCommand {
    public static let configuration = CommandConfiguration(
        abstract: "Sign an artifact with a private key (Ed25519, over the whole file).",
        discussion: """
            Appends a signature block that covers every byte before it (replacing the block of \
            an earlier signature). `wasmc run --trust KEY.pub` then runs the artifact only when \
            the signature matches and the key is trusted. A .so whose data segments are in a \
            data file of their own (`compile --data`) cannot be signed: the signature would not \
            cover them.
            """)

    @Option(help: "The private key (NAME.key from `wasmc keygen`).")
    var key: String

    @Argument(help: "The artifact to sign.")
    var file: String

    @Option(name: .shortAndLong, help: "Write the signed artifact here instead of replacing the file.")
    var output: String?

    public init() {}

    public func run() throws {
        let result = Result { () throws(WasmcError) in
            let key = try PrivateKey(file: key)
            let module = try CompiledModule(inspecting: file)
            if module.dataSegments.file != nil {
                throw WasmcError(.untrusted, "\(file): its data segments are in a data file of their own, which a signature "
                    + "would not cover: compile it without --data to sign it")
            }
            let fd = open(file, O_RDONLY | O_CLOEXEC)
            guard fd >= 0 else { throw WasmcError(.load, "cannot open \(file): \(String(cString: strerror(errno)))") }
            defer { close(fd) }
            let signed = try CompiledModule.withMapping(of: fd, name: file) { bytes throws(WasmcError) -> [UInt8] in
                let content = ArtifactSignature.content(of: bytes)
                return Array(content) + (try ArtifactSignature.block(signing: content, with: key))
            }
            try writeReplacing(output ?? file, signed, modeOf: file)
            print("\(output ?? file): signed by \(key.publicKey.fingerprint)")
        }
        if case .failure(let error) = result { fail(error.message, status: 1) }
    }
}

public struct Encrypt: ParsableCommand {
    public static let configuration = CommandConfiguration(
        abstract: "Encrypt an artifact to one key pair's owner: only their private key opens it.",
        discussion: """
            X25519 key agreement with a key of the file's own, HKDF-SHA256 and ChaCha20-Poly1305 \
            (Documentation/artifacts.md, "Encryption"). `wasmc run --key NAME.key` opens it in \
            memory, never on disk. Sign before encrypting (`wasmc sign`): the signature is \
            checked after decryption under a trust policy. A .so whose data segments are in a \
            data file of their own cannot be encrypted: the data file would stay in the clear.
            """)

    @Option(help: "The public key of the one who may run it (NAME.pub from `wasmc keygen`).")
    var to: String

    @Argument(help: "The artifact to encrypt (a .so, signed or not).")
    var file: String

    @Option(name: .shortAndLong, help: "Where to write the encrypted artifact.")
    var output: String

    public init() {}

    public func run() throws {
        let result = Result { () throws(WasmcError) in
            let recipient = try PublicKey(file: to)
            var magic = [UInt8](repeating: 0, count: 8)
            if let handle = fopen(file, "rb") {
                _ = fread(&magic, 1, 8, handle)
                fclose(handle)
            }
            if EncryptedArtifact.isEncrypted(magic) { throw WasmcError(.load, "\(file): already encrypted") }
            if try CompiledModule(inspecting: file).dataSegments.file != nil {
                throw WasmcError(.load, "\(file): its data segments are in a data file of their own, which would stay in the "
                    + "clear: compile it without --data to encrypt it")
            }
            let fd = open(file, O_RDONLY | O_CLOEXEC)
            guard fd >= 0 else { throw WasmcError(.load, "cannot open \(file): \(String(cString: strerror(errno)))") }
            defer { close(fd) }
            let encrypted = try CompiledModule.withMapping(of: fd, name: file) { bytes throws(WasmcError) -> [UInt8] in
                try EncryptedArtifact.encrypt(bytes, to: recipient)
            }
            try writeReplacing(output, encrypted, modeOf: file)
            print("\(output): encrypted to \(EncryptedArtifact.recipientFingerprint(recipient))")
        }
        if case .failure(let error) = result { fail(error.message, status: 1) }
    }
}

/// Writes `bytes` to `path` through a temporary file renamed over it, with the permissions of
/// `modeOf`: an existing file is replaced whole or not at all.
func writeReplacing(_ path: String, _ bytes: [UInt8], modeOf source: String) throws(WasmcError) {
    var st = stat()
    let mode = stat(source, &st) == 0 ? st.st_mode & 0o7777 : 0o644
    let partial = path + ".partial-\(getpid())"
    let fd = open(partial, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode)
    guard fd >= 0 else { throw WasmcError(.load, "cannot write \(path): \(String(cString: strerror(errno)))") }
    var rest = bytes[...]
    while !rest.isEmpty {
        let n = rest.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        if n <= 0 { break }
        rest = rest.dropFirst(n)
    }
    let ok = rest.isEmpty && fchmod(fd, mode) == 0 && fsync(fd) == 0
    close(fd)
    guard ok, rename(partial, path) == 0 else {
        let reason = String(cString: strerror(errno))
        unlink(partial)
        throw WasmcError(.load, "cannot write \(path): \(reason)")
    }
}
