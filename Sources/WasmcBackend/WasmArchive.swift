import CZlib
import Foundation
import WasmcRuntime

/// The wasm modules a .so is compiled from, compressed as their bytes arrive into the .so's
/// `.wasmc.wasm` section (format: "The wasm inside" in wasmc_abi.h), so that every artifact can
/// be compiled again or interpreted. Each module is one zlib stream, written to a file of its
/// own in the compile's directory; `finish` puts them together as the section's contents.
///
/// Weights do not compress, and deflating them runs at about 40 MB/s here against 700 MB/s for
/// storing them: each MiB that compresses to more than 95% of its size makes the next 15 MiB
/// stored blocks, after which deflating is tried again (deflateParams switches within the
/// stream). Code compresses to about 0.6 of its size at level 1, 0.55 at level 6 (6 times
/// slower): level 1.
final class WasmArchive: @unchecked Sendable {
    private let streams: [Stream]

    /// One stream per module, written under `directory` (the compile's own).
    init(names: [String], directory: (String) -> String) throws(CompileError) {
        var streams: [Stream] = []
        for (index, name) in names.enumerated() {
            streams.append(try Stream(name: name, path: directory("wasm-\(index).z")))
        }
        self.streams = streams
    }

    /// Adds the next bytes of module `index`.
    func add(_ bytes: UnsafeRawBufferPointer, to index: Int) {
        streams[index].add(bytes)
    }

    /// Ends the streams and writes the section's contents to `path`: the modules at `indices`
    /// (those that took part in the .so), in that order, with their SHA-256 `digests`.
    func finish(indices: [Int], digests: [[UInt8]], to path: String) throws(CompileError) {
        let streams = indices.map { self.streams[$0] }
        for stream in streams { try stream.finish() }
        guard let out = fopen(path, "wb") else { throw .backend("cannot write \(path): \(String(cString: strerror(errno)))") }
        defer { fclose(out) }
        var header = wasmc_wasm_header()
        withUnsafeMutableBytes(of: &header.magic) { $0.copyBytes(from: Array(WASMC_WASM_MAGIC.utf8)) }
        header.version = WASMC_WASM_VERSION
        header.count = UInt32(streams.count)
        let entrySize = MemoryLayout<wasmc_wasm_entry>.size
        var offset = UInt64(MemoryLayout<wasmc_wasm_header>.size + entrySize * streams.count)
        var entries: [wasmc_wasm_entry] = []
        for (stream, digest) in zip(streams, digests) {
            var entry = wasmc_wasm_entry()
            entry.name_offset = offset
            entry.name_len = UInt32(stream.name.utf8.count)
            offset += UInt64(entry.name_len)
            entry.compression = UInt32(WASMC_WASM_ZLIB)
            entry.offset = offset
            entry.compressed_size = stream.compressedSize
            entry.size = stream.size
            withUnsafeMutableBytes(of: &entry.sha256) { $0.copyBytes(from: digest) }
            offset += entry.compressed_size
            entries.append(entry)
        }
        var ok = withUnsafeBytes(of: &header) { fwrite($0.baseAddress, 1, $0.count, out) == $0.count }
        for var entry in entries {
            ok = ok && withUnsafeBytes(of: &entry) { fwrite($0.baseAddress, 1, $0.count, out) == $0.count }
        }
        for stream in streams {
            let name = Array(stream.name.utf8)
            ok = ok && fwrite(name, 1, name.count, out) == name.count
            ok = ok && stream.copy(to: out)
        }
        guard ok, fflush(out) == 0 else { throw .backend("cannot write \(path): \(String(cString: strerror(errno)))") }
    }

    /// One module's zlib stream, deflated into its file.
    private final class Stream {
        let name: String
        let path: String
        private var z = z_stream()
        private let file: UnsafeMutablePointer<FILE>
        private var output = [UInt8](repeating: 0, count: 1 << 16)
        private(set) var size: UInt64 = 0
        private(set) var compressedSize: UInt64 = 0
        /// Bytes taken in and given out since the last decision on the level, and how many more
        /// MiB stay stored.
        private var chunkIn: UInt64 = 0, chunkOut: UInt64 = 0, storedLeft = 0
        private var level: Int32 = 1
        private var failure: String?

        static let chunk: UInt64 = 1 << 20

        init(name: String, path: String) throws(CompileError) {
            self.name = name
            self.path = path
            guard let file = fopen(path, "w+b") else {
                throw .backend("cannot write \(path): \(String(cString: strerror(errno)))")
            }
            self.file = file
            guard deflateInit_(&z, level, zlibVersion(), Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
                fclose(file)
                throw .backend("zlib: cannot start a stream")
            }
        }

        deinit {
            deflateEnd(&z)
            fclose(file)
        }

        func add(_ bytes: UnsafeRawBufferPointer) {
            var rest = bytes
            while !rest.isEmpty, failure == nil {
                let take = Int(min(UInt64(rest.count), Self.chunk - chunkIn))
                deflate(UnsafeRawBufferPointer(rebasing: rest[..<take]), flush: Z_NO_FLUSH)
                size += UInt64(take)
                chunkIn += UInt64(take)
                rest = UnsafeRawBufferPointer(rebasing: rest[take...])
                if chunkIn == Self.chunk { decideLevel() }
            }
        }

        /// After each MiB: stored blocks for the next 15 if this one did not compress.
        private func decideLevel() {
            let next: Int32
            if storedLeft > 0 {
                storedLeft -= 1
                next = storedLeft == 0 ? 1 : 0
            } else if chunkOut * 100 > chunkIn * 95 {
                storedLeft = 15
                next = 0
            } else {
                next = 1
            }
            chunkIn = 0
            chunkOut = 0
            guard next != level else { return }
            level = next
            // deflateParams flushes what is pending at the old level; Z_BUF_ERROR asks for room.
            while failure == nil {
                z.next_out = output.withUnsafeMutableBufferPointer { $0.baseAddress }
                z.avail_out = UInt32(output.count)
                let status = deflateParams(&z, level, Z_DEFAULT_STRATEGY)
                write(output.count - Int(z.avail_out))
                if status == Z_OK { break }
                if status != Z_BUF_ERROR { failure = "zlib: deflateParams failed (\(status))" }
            }
        }

        private func deflate(_ input: UnsafeRawBufferPointer, flush: Int32) {
            z.next_in = UnsafeMutablePointer(mutating: input.baseAddress?.assumingMemoryBound(to: Bytef.self))
            z.avail_in = UInt32(input.count)
            repeat {
                let status = output.withUnsafeMutableBufferPointer { buffer -> Int32 in
                    z.next_out = buffer.baseAddress
                    z.avail_out = UInt32(buffer.count)
                    return CZlib.deflate(&z, flush)
                }
                write(output.count - Int(z.avail_out))
                if status == Z_STREAM_END { return }
                if status != Z_OK && status != Z_BUF_ERROR {
                    failure = "zlib: deflate failed (\(status))"
                    return
                }
            } while z.avail_in > 0 || z.avail_out == 0 || flush == Z_FINISH
        }

        private func write(_ count: Int) {
            guard count > 0 else { return }
            if fwrite(output, 1, count, file) != count { failure = "cannot write \(path)" }
            compressedSize += UInt64(count)
            chunkOut += UInt64(count)
        }

        func finish() throws(CompileError) {
            deflate(UnsafeRawBufferPointer(start: nil, count: 0), flush: Z_FINISH)
            if failure == nil, fflush(file) != 0 { failure = "cannot write \(path)" }
            if let failure { throw .backend("the wasm inside: \(failure)") }
        }

        /// Appends the compressed bytes to `out`.
        func copy(to out: UnsafeMutablePointer<FILE>) -> Bool {
            rewind(file)
            var buffer = [UInt8](repeating: 0, count: 1 << 20)
            while true {
                let n = fread(&buffer, 1, buffer.count, file)
                if n == 0 { return ferror(file) == 0 }
                if fwrite(buffer, 1, n, out) != n { return false }
            }
        }
    }
}
