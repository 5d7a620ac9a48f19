import Foundation
import WasmcCodegen
import WasmcModule
import WasmcRuntime
#if canImport(Glibc)
import Glibc
#endif

/// A host directory to embed in the artifact (`CompileOptions.embeddedDirectories`), and the
/// name a WASI program sees it by.
public struct EmbeddedDirectory: Sendable, Hashable {
    public var host: String
    public var guest: String

    public init(host: String, guest: String) {
        self.host = host
        self.guest = guest
    }
}

/// The data image (format: "The data image" in Runtime/include/wasmc_abi.h): the data segments'
/// bytes and the embedded directories' files, apart from the code, laid out so that the runtime
/// can map the segments into linear memory copy-on-write. It becomes the .so's `.wasmc.data`
/// section (written to a file, which the linked .so gets as a section:
/// `ELFObject.appendSection`), or a data file (`CompileOptions.dataFile`); the same bytes
/// either way, whatever the target.
///
/// The writer is the decoder's `DataSink`: each segment's bytes go to the file as they arrive
/// (never held whole), at a place that depends only on the lengths and offsets of the segments
/// before it, and are hashed on the way. The header and the entries, which come first, are
/// written last (`finish`). Nothing of the code depends on the bytes: the metadata records the
/// hashes.
final class DataImage: DataSink {
    /// An embedded directory, a directory or a file in one (`wasmc_data_entry`).
    struct FileEntry {
        var kind: UInt32
        var root: UInt32
        /// The guest name of a root, else the path relative to the root.
        var path: [UInt8]
        /// A file's host path.
        var source: String?
        var length: UInt64 = 0
        var hash: UInt64 = 0
        var offset: UInt64 = 0
        var pathOffset: UInt64 = 0
    }

    /// Where the image goes.
    enum Destination {
        /// A file at this path: a data file, or the .so's section to be.
        case file(String)
        /// Nowhere: the layout and the hashes only (the metadata of an object, assembly or IR).
        case nowhere
    }

    let destination: Destination
    /// Where each segment's bytes start in the image, by data index.
    private(set) var offsets: [UInt64] = []
    /// The length of each segment, by data index.
    private(set) var lengths: [UInt64] = []
    /// The hash of each segment's bytes, by data index, as the metadata records them.
    private(set) var hashes: [UInt64] = []
    private(set) var files: [FileEntry]
    /// The size of the image (so far).
    private(set) var size: UInt64 = 0
    /// The image's file, once there is something to write.
    private var descriptor: Int32 = -1
    private var hasher = wasmc_data_hasher()
    /// Where the next byte of the segment arriving goes (in the image).
    private var position: UInt64 = 0
    private var failure: CompileError?
    /// Whether `end` has placed the files: the layout is complete.
    private var ended = false

    /// Collects (and hashes) the files of `directories`, which go into the image after the
    /// segments; nothing is written before the segments or `finish` come.
    init(directories: [EmbeddedDirectory], destination: Destination) throws(CompileError) {
        self.destination = destination
        files = try Self.collect(directories)
    }

    deinit {
        if descriptor >= 0 { close(descriptor) }
    }

    private var path: String? {
        if case .file(let path) = destination { return path }
        return nil
    }

    /// Whether there is an image: data segments or embedded files.
    var isEmpty: Bool { offsets.isEmpty && files.isEmpty }

    /// Sets the segments' place: after the header, their entries, the files' and the paths.
    func begin(count: Int) {
        let entrySize = MemoryLayout<wasmc_data_entry>.size
        position = UInt64(MemoryLayout<wasmc_data_header>.size + (count + files.count) * entrySize)
        for index in files.indices {
            files[index].pathOffset = position
            position += UInt64(files[index].path.count)
        }
        size = position
        offsets.reserveCapacity(min(count, 1 << 16))
    }

    func segment(_ index: Int, _ segment: ModuleInfo.DataSegment) {
        if hashes.count < offsets.count { hashes.append(wasmc_data_hash_end(&hasher)) }
        let align = UInt64(WASMC_DATA_ALIGN)
        let length = UInt64(segment.length)
        var start = size
        if length >= UInt64(WASMC_DATA_MAP_MIN) {
            // At the segment's memory offset modulo the alignment, so that its pages can be
            // mapped (0 for a passive one and one placed at instantiation).
            var residue: UInt64 = 0
            if case .active(_, let offset) = segment.mode, let value = ModuleCompiler.constantOffset(offset) {
                residue = value % align
            }
            start += (residue &- start) % align
        } else {
            start = (start + 15) / 16 * 16
        }
        offsets.append(start)
        lengths.append(length)
        position = start
        size = start + length
        wasmc_data_hash_start(&hasher)
        openFile()
    }

    /// Makes the image's file, once, when there is something to write to it.
    private func openFile() {
        guard descriptor < 0, let path else { return }
        descriptor = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        if descriptor < 0 { fail() }
    }

    func add(_ bytes: UnsafeRawBufferPointer) {
        wasmc_data_hash_add(&hasher, bytes.baseAddress, UInt64(bytes.count))
        write(bytes, at: position)
        position += UInt64(bytes.count)
    }

    /// The segments are all in: the last one's hash is made and the files placed after them.
    func end() {
        if hashes.count < offsets.count { hashes.append(wasmc_data_hash_end(&hasher)) }
        for index in files.indices where files[index].kind == UInt32(WASMC_DATA_FILE) {
            size = (size + 15) / 16 * 16
            files[index].offset = size
            size += files[index].length
        }
        ended = true
    }

    /// Writes `bytes` at `offset` in the file; the first failure is kept for `finish`.
    private func write(_ bytes: UnsafeRawBufferPointer, at offset: UInt64) {
        guard failure == nil, descriptor >= 0 else { return }
        var done = 0
        while done < bytes.count {
            let n = pwrite(descriptor, bytes.baseAddress! + done, bytes.count - done, off_t(offset) + off_t(done))
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { return fail() }
            done += n
        }
    }

    private func fail() {
        if failure == nil { failure = .backend("cannot write \(path ?? "the data image"): \(String(cString: strerror(errno)))") }
    }

    /// Writes the embedded files, the header and the entries: the image is complete. Returns
    /// its file; nil if there is no image (no segments, no files: nothing was written, unless
    /// `writeEmpty`, for a data file that must exist) or no file.
    @discardableResult
    func finish(writeEmpty: Bool = false) throws(CompileError) -> String? {
        if !ended {
            begin(count: 0)
            end()
        }
        guard !isEmpty || writeEmpty, let path else { return nil }
        openFile()
        for entry in files where entry.kind == UInt32(WASMC_DATA_FILE) {
            // Read again (mapped): a file that changed since it was hashed fails here.
            guard let source = entry.source, let bytes = try? Data(contentsOf: URL(fileURLWithPath: source), options: .alwaysMapped),
                UInt64(bytes.count) == entry.length,
                bytes.withUnsafeBytes({ wasmc_data_hash($0.baseAddress, UInt64($0.count)) }) == entry.hash
            else {
                throw .input("--embed-dir: \(entry.source ?? "a file") changed while it was being embedded")
            }
            bytes.withUnsafeBytes { write($0, at: entry.offset) }
        }
        var front: [UInt8] = []
        var header = wasmc_data_header()
        withUnsafeMutableBytes(of: &header.magic) { $0.copyBytes(from: Array(WASMC_DATA_MAGIC.utf8)) }
        header.version = UInt32(WASMC_DATA_VERSION)
        header.nsegments = UInt32(offsets.count)
        header.nfiles = UInt32(files.count)
        header.size = size
        withUnsafeBytes(of: &header) { front += $0 }
        for index in offsets.indices {
            var entry = wasmc_data_entry()
            entry.offset = offsets[index]
            entry.length = lengths[index]
            entry.hash = hashes[index]
            entry.kind = UInt32(WASMC_DATA_SEGMENT)
            withUnsafeBytes(of: &entry) { front += $0 }
        }
        front += fileTable
        front.withUnsafeBytes { write($0, at: 0) }
        if failure == nil, ftruncate(descriptor, off_t(size)) != 0 { fail() }
        if let failure { throw failure }
        if close(descriptor) != 0 { fail() }
        descriptor = -1
        if let failure { throw failure }
        return path
    }

    /// The entries of `directories`, in the image's order: each root, then what is under it
    /// sorted by path (as byte strings). Files are hashed here.
    private static func collect(_ directories: [EmbeddedDirectory]) throws(CompileError) -> [FileEntry] {
        var entries: [FileEntry] = []
        var guests = Set<String>()
        for directory in directories {
            guard !directory.guest.isEmpty, guests.insert(directory.guest).inserted else {
                throw .input("--embed-dir \(directory.host)::\(directory.guest): \(directory.guest.isEmpty ? "an empty guest name" : "the guest name is taken")")
            }
            var info = stat()
            guard stat(directory.host, &info) == 0, info.st_mode & S_IFMT == S_IFDIR else {
                throw .input("--embed-dir \(directory.host): not a directory")
            }
            let root = UInt32(entries.count)
            entries.append(FileEntry(kind: UInt32(WASMC_DATA_ROOT), root: root, path: Array(directory.guest.utf8)))
            guard let walker = FileManager.default.enumerator(atPath: directory.host) else {
                throw .input("--embed-dir \(directory.host): cannot read it")
            }
            var under: [FileEntry] = []
            while let relative = walker.nextObject() as? String {
                let host = directory.host + "/" + relative
                var info = stat(), link = stat()
                guard stat(host, &info) == 0, lstat(host, &link) == 0 else {
                    throw .input("--embed-dir: cannot read \(host): \(String(cString: strerror(errno)))")
                }
                switch info.st_mode & S_IFMT {
                case S_IFDIR:
                    if link.st_mode & S_IFMT == S_IFLNK {
                        throw .input("--embed-dir: \(host) is a symbolic link to a directory; embed the directory itself")
                    }
                    under.append(FileEntry(kind: UInt32(WASMC_DATA_DIRECTORY), root: root, path: Array(relative.utf8)))
                case S_IFREG:
                    let bytes: Data
                    do {
                        bytes = try Data(contentsOf: URL(fileURLWithPath: host), options: .alwaysMapped)
                    } catch {
                        throw .input("--embed-dir: cannot read \(host): \(error.localizedDescription)")
                    }
                    let hash = bytes.withUnsafeBytes { wasmc_data_hash($0.baseAddress, UInt64($0.count)) }
                    under.append(FileEntry(
                        kind: UInt32(WASMC_DATA_FILE), root: root, path: Array(relative.utf8), source: host,
                        length: UInt64(bytes.count), hash: hash))
                default:
                    throw .input("--embed-dir: \(host) is neither a regular file nor a directory")
                }
            }
            entries += under.sorted { $0.path.lexicographicallyPrecedes($1.path) }
        }
        return entries
    }

    /// The file entries as the image holds them, then their paths.
    private var fileTable: [UInt8] {
        var bytes: [UInt8] = []
        for file in files {
            var entry = wasmc_data_entry()
            entry.offset = file.offset
            entry.length = file.length
            entry.hash = file.hash
            entry.kind = file.kind
            entry.root = file.root
            entry.path_offset = UInt32(file.pathOffset)
            entry.path_length = UInt32(file.path.count)
            withUnsafeBytes(of: &entry) { bytes += $0 }
        }
        for file in files { bytes += file.path }
        return bytes
    }

    /// What the metadata records of the files: how many, and the hash of their entries and paths.
    var filesRecord: (count: Int, hash: UInt64) {
        guard !files.isEmpty else { return (0, 0) }
        let table = fileTable
        return (files.count, table.withUnsafeBytes { wasmc_data_hash($0.baseAddress, UInt64($0.count)) })
    }
}
