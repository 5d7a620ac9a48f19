import Crypto

/// SHA-256 of the input module, recorded in each artifact so a .so can be traced back to the
/// exact wasm it came from (swift-crypto's, which runs at about 1.5 GB/s here). The bytes may
/// come in pieces, as a module arriving over a pipe does.
final class ContentHash: @unchecked Sendable {
    private var hasher = SHA256()

    init() {}

    /// Adds the next piece of the message.
    func add(_ bytes: UnsafeRawBufferPointer) {
        hasher.update(bufferPointer: bytes)
    }

    /// The hash of the pieces added, as 64 hex digits.
    func finish() -> String {
        Self.hex(hasher.finalize())
    }

    /// The hash of the pieces added, as 32 bytes.
    func digest() -> [UInt8] {
        Array(hasher.finalize())
    }

    static func sha256Hex(_ message: [UInt8]) -> String {
        hex(SHA256.hash(data: message))
    }

    private static func hex(_ digest: SHA256.Digest) -> String {
        digest.map { ($0 < 16 ? "0" : "") + String($0, radix: 16) }.joined()
    }
}
