import CLLVM
import Foundation
import WasmcCodegen
import WasmcModule
import WasmcRuntime
#if canImport(Glibc)
import Glibc
#endif

/// The data image (format: "The data image" in Runtime/include/wasmc_abi.h): the data segments'
/// bytes, apart from the code, laid out so that the runtime can map them into linear memory
/// copy-on-write. It becomes the .so's `.wasmc.data` section, or a data file of its own
/// (`CompileOptions.dataFile`); the same bytes either way, whatever the target.
///
/// The layout depends only on the segments' lengths and offsets, the hashes and the file on
/// their bytes: nothing of the code does (the metadata records the hashes).
struct DataImage {
    /// Where each segment's bytes start in the image, by data index.
    let offsets: [UInt64]
    let size: UInt64

    init(layout module: ModuleInfo) {
        let align = UInt64(WASMC_DATA_ALIGN)
        var position = UInt64(MemoryLayout<wasmc_data_header>.size + module.data.count * MemoryLayout<wasmc_data_entry>.size)
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
        self.offsets = offsets
        self.size = position
    }

    /// The hash of each segment's bytes, by data index, as the metadata records them.
    static func hashes(of module: ModuleInfo) -> [UInt64] {
        module.data.map { segment in
            segment.bytes.withUnsafeBytes { wasmc_data_hash($0.baseAddress, UInt64($0.count)) }
        }
    }

    /// Writes the image to `path` (a new file).
    func write(_ module: ModuleInfo, hashes: [UInt64], to path: String) throws(CompileError) {
        guard let file = fopen(path, "wb") else {
            throw .backend("cannot write \(path): \(String(cString: strerror(errno)))")
        }
        var failed = false
        func put(_ bytes: UnsafeRawBufferPointer) {
            if !failed, bytes.count > 0, fwrite(bytes.baseAddress, 1, bytes.count, file) != bytes.count { failed = true }
        }
        var header = wasmc_data_header()
        withUnsafeMutableBytes(of: &header.magic) { $0.copyBytes(from: Array(WASMC_DATA_MAGIC.utf8)) }
        header.version = UInt32(WASMC_DATA_VERSION)
        header.nsegments = UInt32(module.data.count)
        header.size = size
        withUnsafeBytes(of: &header) { put($0) }
        for (index, segment) in module.data.enumerated() {
            var entry = wasmc_data_entry()
            entry.offset = offsets[index]
            entry.length = UInt64(segment.bytes.count)
            entry.hash = hashes[index]
            withUnsafeBytes(of: &entry) { put($0) }
        }
        var position = UInt64(MemoryLayout<wasmc_data_header>.size + module.data.count * MemoryLayout<wasmc_data_entry>.size)
        let zeros = [UInt8](repeating: 0, count: Int(WASMC_DATA_ALIGN))
        for (index, segment) in module.data.enumerated() {
            let padding = Int(offsets[index] - position)
            zeros.withUnsafeBytes { put(UnsafeRawBufferPointer(rebasing: $0[0..<padding])) }
            segment.bytes.withUnsafeBytes { put($0) }
            position = offsets[index] + UInt64(segment.bytes.count)
        }
        if fclose(file) != 0 { failed = true }
        if failed {
            throw .backend("cannot write \(path): \(String(cString: strerror(errno)))")
        }
    }

    /// An object file for `machine`'s target whose one section, `.wasmc.data` (not loaded by
    /// dlopen, aligned so that its file offset in the .so is too), holds the file at `path`.
    static func object(embedding path: String, machine: TargetMachine) throws(CompileError) -> Data {
        let context = LLVMContextCreate()
        defer { LLVMContextDispose(context) }
        let module = LLVMModuleCreateWithNameInContext("wasmc.data", context)!
        defer { LLVMDisposeModule(module) }
        machine.adopt(module)
        let quoted = path.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
        let alignment = UInt32(WASMC_DATA_ALIGN).trailingZeroBitCount
        let assembly = """
            .section \(WASMC_DATA_SECTION),"",%progbits
            .p2align \(alignment)
            .incbin "\(quoted)"

            """
        LLVMSetModuleInlineAsm2(module, assembly, assembly.utf8.count)
        return try machine.emitObject(module)
    }
}
