import Crypto
import Foundation
import WasmcModule
import WasmcRuntime

/// One file for several machines (`wasmc compile --target A,B,...`; format: "The bundle" in
/// wasmc_abi.h): the module's own bytes, so that any engine runs it, then custom sections with
/// the data image once (mapped from the bundle by every target's code) and a .so per target.
extension Compiler {
    /// Compiles `wasm` (and the modules `links` names, linked into it) for each of `targets`
    /// with these options, and writes the bundle to `outputPath` (through a temporary file
    /// renamed over it). Returns each target's report.
    @discardableResult
    public func compileBundle(
        _ wasm: [UInt8], name: String, linking links: [(name: String, wasm: [UInt8])] = [], targets: [Target],
        to outputPath: String
    ) throws(CompileError) -> [CompileReport] {
        guard !targets.isEmpty else { throw .input("a bundle needs at least one target") }
        guard options.output == .sharedObject else { throw .input("a bundle holds .so files: --emit so only") }
        guard options.dataFile == nil else { throw .input("a bundle carries its data image itself: --data does not apply") }
        let files = try Linker.ObjectFiles()
        let image = files.path("wasmc.data")
        var reports: [CompileReport] = []
        var natives: [String] = []
        var firstImage: Data?
        for (index, target) in targets.enumerated() {
            var options = self.options
            options.target = target
            options.carriesWasm = false
            options.dataFile = image
            let native = files.path("native-\(index).so")
            let inputs = links.map { LinkInput(name: $0.name, input: ModuleInput(bytes: $0.wasm, name: $0.name)) }
            reports.append(try Compiler(options: options).compile(ModuleInput(bytes: wasm, name: name), linking: inputs, to: native))
            natives.append(native)
            // The data image does not depend on the target: every .so maps the bundle's one.
            guard let bytes = FileManager.default.contents(atPath: image) else { throw .backend("cannot read \(image)") }
            if let firstImage, firstImage != bytes {
                throw .backend("the data image compiled for \(target.triple) differs from the first target's")
            }
            firstImage = firstImage ?? bytes
        }
        var archive: String?
        if !links.isEmpty {
            let linked = try WasmArchive(names: links.map(\.name), directory: files.path)
            for (index, link) in links.enumerated() { link.wasm.withUnsafeBytes { linked.add($0, to: index) } }
            let path = files.path("linked.archive")
            try linked.finish(indices: Array(links.indices), digests: links.map { Array(SHA256.hash(data: $0.wasm)) }, to: path)
            archive = path
        }
        // The first target's metadata, for the interpreter when no native code is left.
        var error = wasmc_error()
        guard let inspected = wasmc_module_inspect(natives[0], &error) else {
            throw .backend("cannot read the metadata of the first target's .so")
        }
        var size: UInt64 = 0
        let blob = wasmc_module_metadata(inspected, &size)
        let metadata = blob.map { Array(UnsafeBufferPointer(start: $0, count: Int(size))) } ?? []
        wasmc_module_unload(inspected)
        try Linker.writeFile(outputPath) { (partial: String) throws(CompileError) in
            try BundleWriter.write(
                to: partial, module: wasm, linkedArchive: archive, dataImage: firstImage ?? Data(), metadata: metadata, natives: natives)
        }
        return reports
    }
}

/// Writes a bundle's bytes.
enum BundleWriter {
    static func write(
        to path: String, module: [UInt8], linkedArchive: String?, dataImage: Data, metadata: [UInt8], natives: [String]
    ) throws(CompileError) {
        guard let out = FileHandle(forWritingAtPath: path) ?? {
            FileManager.default.createFile(atPath: path, contents: nil) ? FileHandle(forWritingAtPath: path) : nil
        }() else { throw .backend("cannot write \(path)") }
        defer { try? out.close() }
        var offset: UInt64 = 0
        func emit(_ bytes: some DataProtocol) throws(CompileError) {
            do {
                try out.write(contentsOf: bytes)
            } catch {
                throw .backend("cannot write \(path): \(error)")
            }
            offset += UInt64(bytes.count)
        }
        /// A custom section's framing: id 0, the size as a 5-byte LEB128, the name.
        func sectionHeader(_ name: String, payload: UInt64) throws(CompileError) {
            let size = UInt64(1 + name.utf8.count) + payload
            guard size < 1 << 32 else { throw .backend("a bundle section of \(size) bytes: wasm sections hold less than 4 GiB") }
            let leb = (0..<5).map { i in UInt8(truncatingIfNeeded: size >> (7 * UInt64(i))) & 0x7f | (i < 4 ? 0x80 : 0) }
            try emit([0] + leb + [UInt8(name.utf8.count)] + Array(name.utf8))
        }
        try emit(module)
        var header = wasmc_bundle_header()
        withUnsafeMutableBytes(of: &header.magic) { $0.copyBytes(from: Array(WASMC_BUNDLE_MAGIC.utf8)) }
        header.version = WASMC_BUNDLE_VERSION
        header.module_size = UInt64(module.count)
        let digest = Array(SHA256.hash(data: module))
        withUnsafeMutableBytes(of: &header.sha256) { $0.copyBytes(from: digest) }
        let archive = linkedArchive.flatMap { FileManager.default.contents(atPath: $0) } ?? Data()
        try sectionHeader(WASMC_BUNDLE_SECTION, payload: UInt64(MemoryLayout<wasmc_bundle_header>.size + archive.count))
        try emit(withUnsafeBytes(of: &header) { Data($0) })
        try emit(archive)
        // The data image at a multiple of WASMC_DATA_ALIGN: after the header and a u32 count of
        // padding bytes.
        let align = UInt64(WASMC_DATA_ALIGN)
        let before = offset + UInt64(7 + WASMC_BUNDLE_DATA_SECTION.utf8.count + 4)
        let padding = (align - before % align) % align
        try sectionHeader(WASMC_BUNDLE_DATA_SECTION, payload: 4 + padding + UInt64(dataImage.count))
        try emit((0..<4).map { UInt8(truncatingIfNeeded: padding >> (8 * UInt64($0))) })
        try emit(Data(count: Int(padding)))
        precondition(offset % align == 0, "the bundle's data image is aligned")
        try emit(dataImage)
        try sectionHeader(WASMC_BUNDLE_METADATA_SECTION, payload: UInt64(metadata.count))
        try emit(metadata)
        for native in natives {
            guard let bytes = FileManager.default.contents(atPath: native) else { throw .backend("cannot read \(native)") }
            try sectionHeader(WASMC_BUNDLE_NATIVE_SECTION, payload: UInt64(bytes.count))
            try emit(bytes)
        }
    }
}
