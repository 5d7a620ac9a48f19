#if canImport(Glibc)
import Glibc
#endif

/// The bytes of a binary module as the decoder takes them, front to back: from memory, or from
/// a file descriptor (a file, a pipe) as they arrive, so that a compile can begin while the
/// rest of the module, its data segments, is still on its way (`ModuleDecoder`). Bytes read
/// from a descriptor are kept only while `keeping` says so (the sections the code needs), so
/// data segments pass through without being held.
public final class ModuleInput: @unchecked Sendable {
    /// What error messages call the input (a path, "standard input").
    public let name: String
    private let descriptor: Int32?
    /// Memory input: all of it. Descriptor input: the bytes read but not yet taken, from
    /// `bufferStart` on, and before them, while `keeping`, every byte taken since the start.
    private var buffer: [UInt8]
    private var bufferStart = 0
    /// How many bytes have been taken (the offset of the next one).
    public private(set) var offset = 0
    private var reachedEnd = false
    /// Whether the bytes taken stay available to `taken` (until turned off, for good).
    public var keeping = true {
        didSet {
            precondition(!keeping || oldValue, "bytes dropped cannot be kept again")
            if !keeping, descriptor != nil {
                buffer.removeSubrange(0..<bufferStart)
                bufferStart = 0
            }
        }
    }
    /// Called with every byte taken, once and in order (to hash the module as it passes).
    public var observer: ((UnsafeRawBufferPointer) -> Void)?

    /// How much a read from a descriptor asks for at most.
    static let readSize = 1 << 20

    public init(bytes: [UInt8], name: String = "the module") {
        self.name = name
        descriptor = nil
        buffer = bytes
        reachedEnd = true
    }

    /// Reads from `descriptor` (which the caller keeps open, and closes) as the decoder asks.
    public init(descriptor: Int32, name: String) {
        self.name = name
        self.descriptor = descriptor
        buffer = []
    }

    /// The bytes taken so far: all of them, while `keeping`.
    public var taken: ArraySlice<UInt8> {
        precondition(keeping, "the bytes taken were not kept")
        return buffer[0..<position]
    }

    /// Up to `count` of the next bytes, without taking them: fewer only at the end of the input.
    public func peek(_ count: Int) throws(ModuleError) -> ArraySlice<UInt8> {
        try fill(count)
        let start = position
        return buffer[start..<min(start + count, buffer.count)]
    }

    /// Whether every byte has been taken.
    public func atEnd() throws(ModuleError) -> Bool {
        try fill(1)
        return position == buffer.count
    }

    /// Takes the next `count` bytes; nil (and nothing taken) if the input ends before.
    public func take(_ count: Int) throws(ModuleError) -> ArraySlice<UInt8>? {
        try fill(count)
        let start = position
        guard buffer.count - start >= count else { return nil }
        let bytes = buffer[start..<start + count]
        advance(count)
        return bytes
    }

    /// Takes every byte left.
    public func takeRest() throws(ModuleError) -> ArraySlice<UInt8> {
        while !reachedEnd { try fill(buffer.count - position + Self.readSize) }
        return try take(buffer.count - position)!
    }

    /// Takes the next `count` bytes, passing them to `body` piece by piece as they arrive (from
    /// memory, as one piece); returns how many there were, fewer than `count` only if the input
    /// ended first. Not while `keeping`: the bytes are not kept.
    public func pass(_ count: Int, to body: (UnsafeRawBufferPointer) -> Void) throws(ModuleError) -> Int {
        precondition(!keeping, "passing bytes through while keeping them")
        var done = 0
        while done < count {
            try fill(1)
            let start = position
            let available = min(buffer.count - start, count - done)
            if available == 0 { break }
            buffer.withUnsafeBytes { body(UnsafeRawBufferPointer(rebasing: $0[start..<start + available])) }
            advance(available)
            done += available
        }
        return done
    }

    /// Where the next byte is in `buffer`.
    private var position: Int { descriptor == nil ? offset : bufferStart }

    private func advance(_ count: Int) {
        let start = position
        if let observer { buffer.withUnsafeBytes { observer(UnsafeRawBufferPointer(rebasing: $0[start..<start + count])) } }
        offset += count
        guard descriptor != nil else { return }
        bufferStart += count
        if !keeping && bufferStart == buffer.count {
            buffer.removeAll(keepingCapacity: true)
            bufferStart = 0
        }
    }

    /// Reads until `count` bytes past the position are in the buffer, or the input ends.
    private func fill(_ count: Int) throws(ModuleError) {
        guard let descriptor else { return }
        while !reachedEnd && buffer.count - bufferStart < count {
            if !keeping && bufferStart > 0 {
                buffer.removeSubrange(0..<bufferStart)
                bufferStart = 0
            }
            // A piece at a time: a size the input declares (a section's) is not trusted to
            // reserve memory for; the buffer grows only by what arrives.
            let want = Self.readSize
            let old = buffer.count
            var failure: Int32 = 0
            buffer.append(contentsOf: repeatElement(0, count: want))
            let got = buffer.withUnsafeMutableBytes { bytes -> Int in
                while true {
                    let n = read(descriptor, bytes.baseAddress! + old, want)
                    if n < 0 && errno == EINTR { continue }
                    if n < 0 { failure = errno }
                    return n
                }
            }
            buffer.removeSubrange((old + max(got, 0))...)
            if got < 0 {
                throw ModuleError(.unreadable, "cannot read \(name): \(String(cString: strerror(failure)))", offset: offset)
            }
            if got == 0 { reachedEnd = true }
        }
    }
}
