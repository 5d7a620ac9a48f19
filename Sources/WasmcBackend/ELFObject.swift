import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// What wasmc changes in ELF files itself, besides what LLVM and the linker make: a section added
/// to a linked .so (the data image, which passes through neither), and new names for symbols of
/// an emitted object. 64-bit little-endian files only, as every target's are.
enum ELFObject {
    static let headerSize: UInt64 = 64
    private static let sectionHeaderSize = 64
    private static let symbolSize = 24

    /// Adds a section `name` (not allocated: dlopen does not load it) to the linked ELF file at
    /// `path`, holding the bytes of the file `contents`, at a file offset aligned to `alignment`
    /// past the file's end. The contents are copied by the kernel (sendfile), never
    /// read into memory. The section names and headers are written again after them (the old
    /// ones stay, unreferenced) and the ELF header points at the new ones.
    static func appendSection(to path: String, name: String, contents: String, alignment: UInt64) throws(CompileError) {
        func failure(_ what: String) -> CompileError { .backend("cannot add the \(name) section to \(path): \(what)") }
        let output = open(path, O_RDWR | O_CLOEXEC)
        guard output >= 0 else { throw failure(String(cString: strerror(errno))) }
        defer { close(output) }
        let input = open(contents, O_RDONLY | O_CLOEXEC)
        guard input >= 0 else { throw failure("cannot read \(contents): \(String(cString: strerror(errno)))") }
        defer { close(input) }
        func read(_ count: Int, at offset: UInt64) throws(CompileError) -> [UInt8] {
            var bytes = [UInt8](repeating: 0, count: count)
            guard bytes.withUnsafeMutableBytes({ pread(output, $0.baseAddress, count, off_t(offset)) }) == count else {
                throw failure("it ends early")
            }
            return bytes
        }
        func write(_ bytes: [UInt8], at offset: UInt64) throws(CompileError) {
            guard bytes.withUnsafeBytes({ pwrite(output, $0.baseAddress, bytes.count, off_t(offset)) }) == bytes.count else {
                throw failure(String(cString: strerror(errno)))
            }
        }
        var header = try read(Int(headerSize), at: 0)
        guard header.starts(with: [0x7F, 0x45, 0x4C, 0x46, 2, 1]) else { throw failure("not a 64-bit little-endian ELF file") }
        let headersOffset = UInt64(value(UInt64.self, in: header, at: 40))
        let count = Int(value(UInt16.self, in: header, at: 60))
        let namesIndex = Int(value(UInt16.self, in: header, at: 62))
        guard namesIndex < count else { throw failure("no section names") }
        var headers = try read(count * sectionHeaderSize, at: headersOffset)
        let namesHeader = namesIndex * sectionHeaderSize
        var names = try read(Int(value(UInt64.self, in: headers, at: namesHeader + 32)), at: value(UInt64.self, in: headers, at: namesHeader + 24))
        var information = stat()
        guard fstat(input, &information) == 0 else { throw failure(String(cString: strerror(errno))) }
        let size = UInt64(information.st_size)
        var end = UInt64(lseek(output, 0, SEEK_END))
        let dataOffset = (end + alignment - 1) / alignment * alignment
        // The contents, by the kernel.
        guard lseek(output, off_t(dataOffset), SEEK_SET) == off_t(dataOffset) else { throw failure(String(cString: strerror(errno))) }
        var source = off_t(0)
        while UInt64(source) < size {
            let n = sendfile(output, input, &source, Int(size - UInt64(source)))
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { throw failure(n == 0 ? "\(contents) ended early" : String(cString: strerror(errno))) }
        }
        end = dataOffset + size
        // The names again, with the new one, then the headers again, with the new one.
        let nameOffset = UInt32(names.count)
        names += Array(name.utf8) + [0]
        put(end, at: namesHeader + 24, in: &headers)
        put(UInt64(names.count), at: namesHeader + 32, in: &headers)
        try write(names, at: end)
        let newHeaders = (end + UInt64(names.count) + 7) / 8 * 8
        headers += bytes(nameOffset) + bytes(UInt32(1) /* SHT_PROGBITS */) + bytes(UInt64(0)) + bytes(UInt64(0))
            + bytes(dataOffset) + bytes(size) + bytes(UInt32(0)) + bytes(UInt32(0)) + bytes(alignment) + bytes(UInt64(0))
        try write(headers, at: newHeaders)
        put(newHeaders, at: 40, in: &header)  // e_shoff
        put(UInt16(count + 1), at: 60, in: &header)  // e_shnum
        try write(header, at: 0)
    }

    /// Renames the symbols of the object at `path` that `renames` names (old name to new), in
    /// place: the new names go into a string table appended to the file, which the symbol
    /// table's string table section then points at. Relocations name symbols by index, so
    /// nothing else changes.
    static func renameSymbols(in path: String, _ renames: [String: String]) throws(CompileError) {
        guard !renames.isEmpty else { return }
        guard var file = FileManager.default.contents(atPath: path).map({ [UInt8]($0) }), file.count >= Int(headerSize),
            file.starts(with: [0x7F, 0x45, 0x4C, 0x46, 2, 1])
        else {
            throw .backend("\(path) is not a 64-bit little-endian ELF object")
        }
        func read<T: FixedWidthInteger>(_ type: T.Type, at offset: Int) -> T { value(type, in: file, at: offset) }
        let sectionHeaders = Int(read(UInt64.self, at: 40))
        let sectionCount = Int(read(UInt16.self, at: 60))
        guard sectionHeaders + sectionCount * sectionHeaderSize <= file.count else {
            throw .backend("\(path): its section headers lie past its end")
        }
        func header(_ index: Int) -> Int { sectionHeaders + index * sectionHeaderSize }
        var changed = false
        for index in 0..<sectionCount where read(UInt32.self, at: header(index) + 4) == 2 /* SHT_SYMTAB */ {
            let symbols = Int(read(UInt64.self, at: header(index) + 24))
            let symbolsSize = Int(read(UInt64.self, at: header(index) + 32))
            let stringsHeader = header(Int(read(UInt32.self, at: header(index) + 40)))
            let strings = Int(read(UInt64.self, at: stringsHeader + 24))
            let stringsSize = Int(read(UInt64.self, at: stringsHeader + 32))
            guard symbols + symbolsSize <= file.count, strings + stringsSize <= file.count else {
                throw .backend("\(path): its symbol table lies past its end")
            }
            // The old table, then the new names.
            var table = Array(file[strings..<strings + stringsSize])
            for symbol in stride(from: symbols, to: symbols + symbolsSize, by: symbolSize) {
                let nameOffset = Int(read(UInt32.self, at: symbol))
                guard nameOffset < stringsSize else { continue }
                let start = strings + nameOffset
                let end = file[start..<strings + stringsSize].firstIndex(of: 0) ?? strings + stringsSize
                guard let new = renames[String(decoding: file[start..<end], as: UTF8.self)] else { continue }
                put(UInt32(table.count), at: symbol, in: &file)
                table += Array(new.utf8) + [0]
                changed = true
            }
            guard changed else { continue }
            put(UInt64(file.count), at: stringsHeader + 24, in: &file)
            put(UInt64(table.count), at: stringsHeader + 32, in: &file)
            file += table
        }
        guard changed else { return }
        guard FileManager.default.createFile(atPath: path, contents: Data(file)) else {
            throw .backend("cannot write \(path)")
        }
    }

    /// The little-endian integer at `offset` in `bytes`.
    private static func value<T: FixedWidthInteger>(_: T.Type, in bytes: [UInt8], at offset: Int) -> T {
        bytes[offset..<offset + MemoryLayout<T>.size].reversed().reduce(T(0)) { $0 << 8 | T($1) }
    }

    private static func bytes<T: FixedWidthInteger>(_ value: T) -> [UInt8] {
        withUnsafeBytes(of: value.littleEndian) { Array($0) }
    }

    private static func put<T: FixedWidthInteger>(_ value: T, at offset: Int, in bytes: inout [UInt8]) {
        bytes.replaceSubrange(offset..<offset + MemoryLayout<T>.size, with: Self.bytes(value))
    }
}
