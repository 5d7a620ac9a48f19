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
/// section, or a data file of its own (`CompileOptions.dataFile`); the same bytes either way,
/// whatever the target.
///
/// The layout depends only on the segments' lengths and offsets and the files; the hashes and
/// the file on their bytes: nothing of the code does (the metadata records the hashes).
struct DataImage {
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

    /// Where each segment's bytes start in the image, by data index.
    let offsets: [UInt64]
    /// The hash of each segment's bytes, by data index, as the metadata records them.
    let hashes: [UInt64]
    let files: [FileEntry]
    let size: UInt64

    init(layout module: ModuleInfo, directories: [EmbeddedDirectory] = []) throws(CompileError) {
        hashes = module.data.map { segment in
            segment.bytes.withUnsafeBytes { wasmc_data_hash($0.baseAddress, UInt64($0.count)) }
        }
        var files = try Self.collect(directories)
        let align = UInt64(WASMC_DATA_ALIGN)
        let entrySize = MemoryLayout<wasmc_data_entry>.size
        var position = UInt64(MemoryLayout<wasmc_data_header>.size + (module.data.count + files.count) * entrySize)
        for index in files.indices {
            files[index].pathOffset = position
            position += UInt64(files[index].path.count)
        }
        var offsets: [UInt64] = []
        for segment in module.data {
            let length = UInt64(segment.bytes.count)
            if length >= UInt64(WASMC_DATA_MAP_MIN) {
                // At the segment's memory offset modulo the alignment, so that its pages can be
                // mapped (0 for a passive one and one placed at instantiation).
                var residue: UInt64 = 0
                if case .active(let active) = segment, let offset = ModuleCompiler.constantOffset(active.offset) {
                    residue = offset % align
                }
                position += (residue &- position) % align
            } else {
                position = (position + 15) / 16 * 16
            }
            offsets.append(position)
            position += length
        }
        for index in files.indices where files[index].kind == UInt32(WASMC_DATA_FILE) {
            position = (position + 15) / 16 * 16
            files[index].offset = position
            position += files[index].length
        }
        self.offsets = offsets
        self.files = files
        self.size = position
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

    /// Writes the image to `path` (a new file): a data file.
    func write(_ module: ModuleInfo, to path: String) throws(CompileError) {
        try Self.withFile(path) { file throws(CompileError) in try write(module, into: file) }
    }

    /// Writes a relocatable object to `path` whose one section is the image: `.wasmc.data`, not
    /// allocated (dlopen does not load it), aligned to `WASMC_DATA_ALIGN` (so that the linker
    /// puts it at such a file offset in the .so). Its ELF header is `template`'s (an object of
    /// the code, for the target's machine and flags) but for what describes the sections. The
    /// image goes straight into the object: it is never in memory whole, nor passes through LLVM.
    func writeObject(_ module: ModuleInfo, to path: String, template: String) throws(CompileError) {
        guard let header = FileManager.default.contents(atPath: template)?.prefix(64), header.count == 64,
            header.starts(with: [0x7F, 0x45, 0x4C, 0x46, 2, 1])  // ELF, 64-bit, little endian
        else {
            throw .backend("\(template) is not a 64-bit little-endian ELF object")
        }
        let names = Array("\0\(WASMC_DATA_SECTION)\0.shstrtab\0".utf8)
        let dataOffset: UInt64 = 64
        let namesOffset = dataOffset + size
        let headersOffset = (namesOffset + UInt64(names.count) + 7) / 8 * 8
        func littleEndian<T: FixedWidthInteger>(_ value: T) -> [UInt8] { withUnsafeBytes(of: value.littleEndian) { Array($0) } }
        // The template's identification, machine, version and flags; the rest describes this file.
        var bytes = [UInt8](header)
        func put<T: FixedWidthInteger>(_ value: T, at offset: Int) {
            bytes.replaceSubrange(offset..<offset + MemoryLayout<T>.size, with: littleEndian(value))
        }
        put(UInt16(1), at: 16)  // e_type: ET_REL
        put(UInt64(0), at: 24)  // e_entry
        put(UInt64(0), at: 32)  // e_phoff
        put(headersOffset, at: 40)  // e_shoff
        put(UInt16(64), at: 52)  // e_ehsize
        put(UInt16(0), at: 54)  // e_phentsize
        put(UInt16(0), at: 56)  // e_phnum
        put(UInt16(64), at: 58)  // e_shentsize
        put(UInt16(3), at: 60)  // e_shnum: null, the data, the names
        put(UInt16(2), at: 62)  // e_shstrndx
        // A section header (Elf64_Shdr): sh_name, sh_type, sh_flags, sh_addr, sh_offset, sh_size,
        // sh_link, sh_info, sh_addralign, sh_entsize.
        func section(name: UInt32, type: UInt32, offset: UInt64, size: UInt64, align: UInt64) -> [UInt8] {
            littleEndian(name) + littleEndian(type) + littleEndian(UInt64(0)) + littleEndian(UInt64(0))
                + littleEndian(offset) + littleEndian(size) + littleEndian(UInt32(0)) + littleEndian(UInt32(0))
                + littleEndian(align) + littleEndian(UInt64(0))
        }
        var trailer = names + [UInt8](repeating: 0, count: Int(headersOffset - namesOffset) - names.count)
        trailer += [UInt8](repeating: 0, count: 64)
        trailer += section(name: 1, type: 1 /* SHT_PROGBITS */, offset: dataOffset, size: size, align: UInt64(WASMC_DATA_ALIGN))
        trailer += section(name: UInt32(1 + WASMC_DATA_SECTION.utf8.count + 1), type: 3 /* SHT_STRTAB */, offset: namesOffset,
                           size: UInt64(names.count), align: 1)
        try Self.withFile(path) { file throws(CompileError) in
            guard fwrite(bytes, 1, bytes.count, file) == bytes.count else {
                throw .backend("cannot write \(path): \(String(cString: strerror(errno)))")
            }
            try write(module, into: file)
            guard fwrite(trailer, 1, trailer.count, file) == trailer.count else {
                throw .backend("cannot write \(path): \(String(cString: strerror(errno)))")
            }
        }
    }

    private static func withFile(_ path: String, _ body: (UnsafeMutablePointer<FILE>) throws(CompileError) -> Void) throws(CompileError) {
        guard let file = fopen(path, "wb") else {
            throw .backend("cannot write \(path): \(String(cString: strerror(errno)))")
        }
        do {
            try body(file)
        } catch {
            fclose(file)
            throw error
        }
        if fclose(file) != 0 {
            throw .backend("cannot write \(path): \(String(cString: strerror(errno)))")
        }
    }

    /// Writes the image at `file`'s position.
    private func write(_ module: ModuleInfo, into file: UnsafeMutablePointer<FILE>) throws(CompileError) {
        var failed = false
        var position: UInt64 = 0
        func put(_ bytes: UnsafeRawBufferPointer) {
            if !failed, bytes.count > 0, fwrite(bytes.baseAddress, 1, bytes.count, file) != bytes.count { failed = true }
            position += UInt64(bytes.count)
        }
        let zeros = [UInt8](repeating: 0, count: Int(WASMC_DATA_ALIGN))
        func pad(to offset: UInt64) {
            zeros.withUnsafeBytes { put(UnsafeRawBufferPointer(rebasing: $0[0..<Int(offset - position)])) }
        }
        var header = wasmc_data_header()
        withUnsafeMutableBytes(of: &header.magic) { $0.copyBytes(from: Array(WASMC_DATA_MAGIC.utf8)) }
        header.version = UInt32(WASMC_DATA_VERSION)
        header.nsegments = UInt32(module.data.count)
        header.nfiles = UInt32(files.count)
        header.size = size
        withUnsafeBytes(of: &header) { put($0) }
        for (index, segment) in module.data.enumerated() {
            var entry = wasmc_data_entry()
            entry.offset = offsets[index]
            entry.length = UInt64(segment.bytes.count)
            entry.hash = hashes[index]
            entry.kind = UInt32(WASMC_DATA_SEGMENT)
            withUnsafeBytes(of: &entry) { put($0) }
        }
        fileTable.withUnsafeBytes { put($0) }
        for (index, segment) in module.data.enumerated() {
            pad(to: offsets[index])
            segment.bytes.withUnsafeBytes { put($0) }
        }
        for entry in files where entry.kind == UInt32(WASMC_DATA_FILE) {
            pad(to: entry.offset)
            // Read again (mapped): a file that changed since it was hashed fails here.
            guard let source = entry.source, let bytes = try? Data(contentsOf: URL(fileURLWithPath: source), options: .alwaysMapped),
                UInt64(bytes.count) == entry.length,
                bytes.withUnsafeBytes({ wasmc_data_hash($0.baseAddress, UInt64($0.count)) }) == entry.hash
            else {
                throw .input("--embed-dir: \(entry.source ?? "a file") changed while it was being embedded")
            }
            bytes.withUnsafeBytes { put($0) }
        }
        if failed {
            throw .backend("cannot write the data image: \(String(cString: strerror(errno)))")
        }
    }
}
