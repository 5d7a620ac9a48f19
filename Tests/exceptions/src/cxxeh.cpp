// cxxeh.cpp: the C++ exception runtime these test programs link, for wasm32-wasi built with
// -fwasm-exceptions. Written for wasmc's tests because Debian builds its wasm32 libc++abi
// without exceptions: it has the type_info classes and std::terminate, but no __cxa_throw, no
// catch bookkeeping and no personality routine.
//
// What clang's wasm exception lowering expects from the runtime:
//   - `throw x` calls __cxa_allocate_exception(size), constructs x there, then
//     __cxa_throw(object, type, destructor), which never returns: it throws the C++ tag
//     (tag index 0 of __builtin_wasm_throw, `__cpp_exception`, one i32 payload).
//   - A landing pad with typed catch clauses catches that tag, stores its own index (its entry
//     in the function's call-site table) and the function's LSDA address into
//     __wasm_lpad_context, calls _Unwind_CallPersonality(payload) and reads back
//     __wasm_lpad_context.selector: the type-table index of the clause that matches, or 0 when
//     none does (then the pad runs its cleanups and rethrows the same exception).
//   - A clause that catches calls __cxa_begin_catch(payload), which returns the address the
//     handler binds to, and __cxa_end_catch() when the handler is left (normally or not).
//     `throw;` is __cxa_rethrow(). Catch by value with a copy constructor first asks
//     __cxa_get_exception_ptr(payload).
// The payload is whatever __cxa_throw chose: here the address of this file's exception header.
//
// There is a single phase: the VM unwinds the wasm stack, pads run as they are reached, and
// the personality answers only "does one of this pad's clauses catch it".
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <typeinfo>

// libc++abi's type_info objects (built into libc++abi.a and emitted by the compiler for
// user types) answer "can a handler for me catch an exception of that type" through one
// virtual function. Its vtable slot follows the destructor pair and two placeholder slots;
// the class is only declared here, to call that slot on objects libc++abi defines.
namespace __cxxabiv1 {
class __shim_type_info : public std::type_info {
  public:
    ~__shim_type_info() override;
    virtual void noop1() const;
    virtual void noop2() const;
    virtual bool can_catch(const __shim_type_info* thrown, void*& adjusted) const = 0;
};
} // namespace __cxxabiv1

namespace {

// On wasm32 a C++ destructor returns `this`; the pointer the compiler hands __cxa_throw has that
// signature, and an indirect call through any other type traps.
using Destructor = void* (*)(void*);

constexpr uint64_t kClass = 0x5741534d43432b2bULL; // "WASMCC++": exceptions thrown here

struct Header {
    uint64_t klass;           // kClass
    const std::type_info* type;
    Destructor destroy;       // may be null (trivially destructible)
    Header* next_caught;      // the stack of exceptions being handled, innermost first
    int32_t handlers;         // active handlers; negative while being rethrown from them
    int32_t selector;         // the clause the personality chose last
    void* adjusted;           // what the chosen handler binds to
};

// The thrown object follows the header at a 16-byte boundary (max_align_t on wasm32).
constexpr size_t kHeaderSize = (sizeof(Header) + 15) & ~size_t(15);

Header* caught_stack = nullptr;  // single-threaded: wasm32-wasi without threads
int32_t uncaught = 0;
int32_t live = 0;                // allocated and not freed; read by tests through wasmc_eh_live

inline void* object_of(Header* h) { return reinterpret_cast<char*>(h) + kHeaderSize; }
inline Header* header_of(void* object) {
    return reinterpret_cast<Header*>(static_cast<char*>(object) - kHeaderSize);
}
inline Header* header_from_payload(void* payload) { return static_cast<Header*>(payload); }

[[noreturn]] void fail() { std::terminate(); }

// ---- LSDA reading (the GCC exception table clang emits per function) ----------------------

constexpr uint8_t kOmit = 0xff;

uint64_t read_uleb(const uint8_t*& p) {
    uint64_t value = 0;
    unsigned shift = 0;
    uint8_t byte;
    do {
        byte = *p++;
        value |= uint64_t(byte & 0x7f) << shift;
        shift += 7;
    } while (byte & 0x80);
    return value;
}

int64_t read_sleb(const uint8_t*& p) {
    int64_t value = 0;
    unsigned shift = 0;
    uint8_t byte;
    do {
        byte = *p++;
        value |= int64_t(byte & 0x7f) << shift;
        shift += 7;
    } while (byte & 0x80);
    if (shift < 64 && (byte & 0x40)) value |= -(int64_t(1) << shift);
    return value;
}

// Size in bytes of a value stored with a DWARF pointer encoding (low nibble).
size_t encoded_size(uint8_t encoding) {
    switch (encoding & 0x0f) {
    case 0x00: return sizeof(void*);  // absptr
    case 0x02: case 0x0a: return 2;   // udata2, sdata2
    case 0x03: case 0x0b: return 4;   // udata4, sdata4
    case 0x04: case 0x0c: return 8;   // udata8, sdata8
    default: fail();
    }
}

uintptr_t read_encoded(const uint8_t*& p, uint8_t encoding) {
    if (encoding == kOmit) return 0;
    uintptr_t value = 0;
    switch (encoding & 0x0f) {
    case 0x01: value = uintptr_t(read_uleb(p)); break;
    case 0x09: value = uintptr_t(read_sleb(p)); break;
    default: {
        size_t n = encoded_size(encoding);
        uint64_t raw = 0;
        std::memcpy(&raw, p, n);  // little-endian
        p += n;
        value = uintptr_t(raw);
    }
    }
    if ((encoding & 0x70) == 0x10 && value) fail();  // pc-relative: not emitted for wasm
    return value;
}

// The catch type of type-table entry `index` (1-based, counted back from the table's end).
const std::type_info* catch_type(const uint8_t* types_end, uint8_t encoding, int64_t index) {
    const uint8_t* entry = types_end - size_t(index) * encoded_size(encoding);
    return reinterpret_cast<const std::type_info*>(read_encoded(entry, encoding));
}

bool handler_catches(const std::type_info* handler, Header* h, void*& adjusted) {
    void* candidate = object_of(h);
    auto* catcher = static_cast<const __cxxabiv1::__shim_type_info*>(handler);
    auto* thrown = static_cast<const __cxxabiv1::__shim_type_info*>(h->type);
    if (!catcher->can_catch(thrown, candidate)) return false;
    adjusted = candidate;
    return true;
}

// An exception specification (negative filter): catches when none of its types match.
bool spec_catches(const uint8_t* types_end, uint8_t encoding, int64_t filter, Header* h) {
    const uint8_t* list = types_end + (-filter - 1);
    for (;;) {
        uint64_t index = read_uleb(list);
        if (index == 0) return true;
        void* scratch = nullptr;
        if (handler_catches(catch_type(types_end, encoding, int64_t(index)), h, scratch))
            return false;
    }
}

} // namespace

// The tag every C++ exception is thrown with (one i32: the payload above). Since LLVM 20 the
// compiler only references it and the runtime defines it, once per module.
__asm__(".globl __cpp_exception\n"
        ".tagtype __cpp_exception i32\n"
        "__cpp_exception:\n");

extern "C" {

// The landing-pad context the compiler writes before calling _Unwind_CallPersonality and
// reads the selector back from. Thread-local in the compiler's declaration; without the
// atomics feature the wasm backend makes it an ordinary global.
struct LandingPadContext {
    uintptr_t lpad_index;   // which entry of the call-site table this pad is
    uintptr_t lsda;         // the function's exception table
    uintptr_t selector;     // out: type-table index of the matching clause, or 0
};
thread_local LandingPadContext __wasm_lpad_context;

// Reason codes of the Itanium unwinder interface, as the compiler's pads ignore them.
enum { kHandlerFound = 6, kContinueUnwind = 8 };

int _Unwind_CallPersonality(void* payload) {
    LandingPadContext& ctx = __wasm_lpad_context;
    ctx.selector = 0;
    Header* h = header_from_payload(payload);
    if (!h || h->klass != kClass) return kContinueUnwind;  // not thrown by __cxa_throw
    const uint8_t* p = reinterpret_cast<const uint8_t*>(ctx.lsda);
    if (!p) return kContinueUnwind;

    // Header: landing-pad base (unused on wasm), type-table encoding and end, call-site table.
    uint8_t lp_start_encoding = *p++;
    (void)read_encoded(p, lp_start_encoding);
    uint8_t type_encoding = *p++;
    const uint8_t* types_end = nullptr;
    if (type_encoding != kOmit) {
        uint64_t offset = read_uleb(p);
        types_end = p + offset;
    }
    ++p;  // call-site encoding: wasm tables hold ULEB128 pairs whatever it says
    uint64_t table_length = read_uleb(p);
    const uint8_t* site = p;
    const uint8_t* table_end = p + table_length;
    const uint8_t* actions = table_end;

    // On wasm a call-site entry is (landing pad number, action) and the pad's index selects it.
    uint64_t action = 0;
    bool found = false;
    for (uintptr_t i = 0; site < table_end; ++i) {
        (void)read_uleb(site);
        uint64_t a = read_uleb(site);
        if (i == ctx.lpad_index) { action = a; found = true; break; }
    }
    if (!found) fail();  // a pad the table does not know: a corrupt table
    if (action == 0) return kContinueUnwind;  // cleanup only

    // The action chain: (filter, offset to the next record from that offset's own position).
    const uint8_t* record = actions + (action - 1);
    for (;;) {
        int64_t filter = read_sleb(record);
        const uint8_t* next_at = record;
        int64_t next = read_sleb(record);
        bool catches = false;
        void* adjusted = object_of(h);
        if (filter > 0) {
            if (!types_end) fail();
            const std::type_info* type = catch_type(types_end, type_encoding, filter);
            catches = type == nullptr || handler_catches(type, h, adjusted);  // null: catch (...)
        } else if (filter < 0) {
            if (!types_end) fail();
            catches = spec_catches(types_end, type_encoding, filter, h);
        }
        if (catches) {
            h->selector = int32_t(filter);
            h->adjusted = adjusted;
            ctx.selector = uintptr_t(filter);
            return kHandlerFound;
        }
        if (next == 0) return kContinueUnwind;
        record = next_at + next;
    }
}

void* __cxa_allocate_exception(size_t size) noexcept {
    void* memory = std::aligned_alloc(16, (kHeaderSize + size + 15) & ~size_t(15));
    if (!memory) fail();
    std::memset(memory, 0, kHeaderSize);
    ++live;
    return object_of(static_cast<Header*>(memory));
}

void __cxa_free_exception(void* object) noexcept {
    --live;
    std::free(header_of(object));
}

[[noreturn]] void __cxa_throw(void* object, std::type_info* type, Destructor destroy) {
    Header* h = header_of(object);
    h->klass = kClass;
    h->type = type;
    h->destroy = destroy;
    h->handlers = 0;
    h->adjusted = object;  // what catch (...) and cleanups see
    ++uncaught;
    __builtin_wasm_throw(0, h);
}

void* __cxa_get_exception_ptr(void* payload) noexcept {
    return header_from_payload(payload)->adjusted;
}

void* __cxa_begin_catch(void* payload) noexcept {
    Header* h = header_from_payload(payload);
    if (!h || h->klass != kClass) return nullptr;  // a foreign exception: nothing to bind
    h->handlers = h->handlers < 0 ? -h->handlers + 1 : h->handlers + 1;
    if (h != caught_stack) {
        h->next_caught = caught_stack;
        caught_stack = h;
    }
    --uncaught;
    return h->adjusted;
}

void __cxa_end_catch() {
    Header* h = caught_stack;
    if (!h) return;  // a foreign exception's handler
    if (h->handlers < 0) {
        // Left by a rethrow: the exception lives on; it leaves the stack once no handler of it
        // is active any more, and its next catch pushes it again.
        if (++h->handlers == 0) caught_stack = h->next_caught;
        return;
    }
    if (--h->handlers == 0) {
        caught_stack = h->next_caught;
        if (h->destroy) h->destroy(object_of(h));
        __cxa_free_exception(object_of(h));
    }
}

[[noreturn]] void __cxa_rethrow() {
    Header* h = caught_stack;
    if (!h) fail();  // `throw;` with nothing being handled
    h->handlers = -h->handlers;
    ++uncaught;
    __builtin_wasm_throw(0, h);
}

std::type_info* __cxa_current_exception_type() noexcept {
    return caught_stack ? const_cast<std::type_info*>(caught_stack->type) : nullptr;
}

// For the tests: exceptions allocated and not yet freed (0 once every handler has finished).
int wasmc_eh_live() { return live; }

} // extern "C"
