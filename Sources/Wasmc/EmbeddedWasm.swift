import CZlib
import Crypto
#if canImport(FoundationEssentials)
import FoundationEssentials
import Glibc
#else
import Foundation
#endif
import WasmcRuntime

/// The wasm modules a .so carries ("The wasm inside" in wasmc_abi.h): the compiled module, then
/// the modules linked into it, each compressed, so that an artifact can always be compiled
/// again or interpreted.
public struct EmbeddedWasm: Sendable {
    /// "" for the compiled module, else the NAME it was linked by (`--link NAME=FILE`).
    public var name: String
    public var size: UInt64
    public var compressedSize: UInt64
    /// SHA-256 of the module, 64 hex digits.
    public var sha256: String
    var compression: UInt32
    var fileOffset: UInt64
}

extension CompiledModule {
    /// The wasm modules the .so carries; empty for a .so compiled without them.
    public var embeddedWasm: [EmbeddedWasm] {
        (0..<wasmc_module_wasm_count(raw)).map { index in
            var info = wasmc_wasm_info()
            wasmc_module_wasm(raw, index, &info)
            return EmbeddedWasm(
                name: bytesToString(info.name, info.name_len), size: info.size, compressedSize: info.compressed_size,
                sha256: String(cString: info.sha256), compression: info.compression, fileOffset: info.file_offset)
        }
    }

    /// The bytes of the module `name` ("" for the compiled one) the .so at `path` carries,
    /// decompressed and checked against their recorded size and SHA-256: the bytes it was
    /// compiled from. Reads the file without loading it (a .so of any architecture).
    public static func extractWasm(from path: String, module name: String = "") throws(WasmcError) -> [UInt8] {
        let module = try CompiledModule(inspecting: path)
        let entries = module.embeddedWasm
        guard !entries.isEmpty else {
            throw WasmcError(.load, "\(path): carries no wasm (compiled by a wasmc without the .wasmc.wasm section)")
        }
        guard let entry = entries.first(where: { $0.name.utf8.elementsEqual(name.utf8) }) else {
            let names = entries.dropFirst().map(\.name)
            throw WasmcError(.load, "\(path): carries no module linked as \"\(name)\"" + (names.isEmpty ? " (none were linked)" : " (it has \(names.joined(separator: ", ")))"))
        }
        func failure(_ what: String) -> WasmcError { WasmcError(.load, "\(path): the wasm inside\(name.isEmpty ? "" : " (\(name))") \(what)") }
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw failure("cannot be read: \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        var compressed = [UInt8](repeating: 0, count: Int(entry.compressedSize))
        let read = compressed.withUnsafeMutableBytes { pread(fd, $0.baseAddress, $0.count, off_t(entry.fileOffset)) }
        guard read == compressed.count else { throw failure("is cut short") }
        let bytes: [UInt8]
        if entry.compression == UInt32(WASMC_WASM_STORED) {
            bytes = compressed
        } else {
            guard let inflated = inflate(compressed, size: entry.size) else { throw failure("is corrupt (zlib)") }
            bytes = inflated
        }
        guard UInt64(bytes.count) == entry.size else { throw failure("has \(bytes.count) bytes, \(entry.size) recorded") }
        let digest = SHA256.hash(data: bytes).map { ($0 < 16 ? "0" : "") + String($0, radix: 16) }.joined()
        guard digest == entry.sha256 else { throw failure("does not match its SHA-256 (\(digest), \(entry.sha256) recorded)") }
        return bytes
    }

    /// A zlib stream's bytes, of which `size` are expected; nil if it is corrupt, ends early or
    /// holds more.
    private static func inflate(_ compressed: [UInt8], size: UInt64) -> [UInt8]? {
        guard size < UInt64(Int.max) else { return nil }
        var z = z_stream()
        guard inflateInit_(&z, zlibVersion(), Int32(MemoryLayout<z_stream>.size)) == Z_OK else { return nil }
        defer { inflateEnd(&z) }
        // One byte more than expected: a stream holding more shows as a full buffer.
        var output = [UInt8](repeating: 0, count: Int(size) + 1)
        var status: Int32 = Z_OK
        compressed.withUnsafeBytes { input in
            output.withUnsafeMutableBytes { out in
                z.next_in = UnsafeMutablePointer(mutating: input.baseAddress?.assumingMemoryBound(to: Bytef.self))
                z.next_out = out.baseAddress?.assumingMemoryBound(to: Bytef.self)
                var inputLeft = input.count, outputLeft = out.count
                // avail_in/avail_out are 32-bit: feed at most 1 GiB at a time.
                repeat {
                    let inChunk = min(inputLeft, 1 << 30), outChunk = min(outputLeft, 1 << 30)
                    z.avail_in = UInt32(inChunk)
                    z.avail_out = UInt32(outChunk)
                    status = CZlib.inflate(&z, Z_NO_FLUSH)
                    inputLeft -= inChunk - Int(z.avail_in)
                    outputLeft -= outChunk - Int(z.avail_out)
                } while status == Z_OK && (inputLeft > 0 || z.avail_in > 0) && outputLeft > 0
            }
        }
        guard status == Z_STREAM_END, z.total_out == size, z.avail_in == 0 else { return nil }
        output.removeLast()
        return output
    }
}

/// What a bundle holds for one machine (`wasmc compile --target A,B,...`).
public struct BundleNative: Sendable {
    public var targetTriple: String
    public var cpu: String
    public var cpuFeatures: String
    /// Why it cannot run on this machine; nil if it can.
    public var refusal: String?
    /// Whether it is the native code loaded (for a module opened for inspection: the one that
    /// would be).
    public var isChosen: Bool
}

extension CompiledModule {
    /// The natives of the bundle the module was loaded or inspected from; empty for a .so.
    public var bundleNatives: [BundleNative] {
        (0..<wasmc_module_bundle_count(raw)).map { index in
            var info = wasmc_bundle_native_info()
            wasmc_module_bundle_native(raw, index, &info)
            return BundleNative(
                targetTriple: info.target.map { String(cString: $0) } ?? "?", cpu: info.cpu.map { String(cString: $0) } ?? "?",
                cpuFeatures: info.features.map { String(cString: $0) } ?? "", refusal: info.refusal.map { String(cString: $0) },
                isChosen: info.chosen != 0)
        }
    }
}
