/* trap.c: calls into compiled code and the way out of them.
 *
 * Every call runs under a sigsetjmp point kept in a per-thread chain (host functions may call
 * back into wasm, so points nest). A trap, raised by compiled code through the runtime function
 * `trap` or by the SIGSEGV/SIGBUS handler for a fault inside a guarded memory reservation, sets
 * the code and siglongjmps to the innermost point. The handler claims only those faults (and
 * faults at the thread's stack limit while wasm runs); everything else goes to the handler that
 * was installed before ours. Each calling thread gets a sigaltstack and a cached stack limit.
 *
 * Architectures: the handler reads only si_addr (the faulting data address on x86_64, aarch64
 * and riscv64 alike) and uc_sigmask, never the machine registers of the ucontext, so it needs
 * no per-architecture code; scripts/test-cross checks guard-page and stack traps on aarch64 and
 * riscv64 under qemu-user. The 128 KiB signal stack is well above the largest signal frame of
 * the three (aarch64 with SVE/SME state is the biggest; glibc's MINSIGSTKSZ is 5 KiB there). */
#include "internal.h"

#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <ucontext.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define ALTSTACK_SIZE (128u * 1024)
#define ALTSTACK_GUARD 4096u
#define STACK_MARGIN (256u * 1024) /* left below the limit for the runtime and host code */
#define STACK_SLACK (1u << 20)     /* faults this far below the stack count as exhaustion */
#define STACK_MAX (128u << 20)     /* wasm gets at most this much (ulimit -s unlimited) */

typedef struct rt_frame {
    sigjmp_buf jb;
    volatile uint32_t trap; /* or WASMC_EXCEPTION, with `exception` */
    wasmc_exception *volatile exception;
    wasmc_store *store;
    volatile int signal; /* the signal that ended the call, or 0 */
    sigset_t fault_mask; /* the thread's signal mask when that signal arrived */
    struct rt_frame *prev;
} rt_frame;

typedef struct rt_thread {
    rt_frame *volatile top; /* innermost active call, read by the signal handler */
    uintptr_t stack_low, stack_limit;
    bool ready;
} rt_thread;

/* initial-exec: a plain thread-pointer load, safe in the signal handler even when the runtime is
 * a dlopen()ed library (no lazy __tls_get_addr allocation). */
static _Thread_local rt_thread self __attribute__((tls_model("initial-exec")));
static pthread_once_t signals_once = PTHREAD_ONCE_INIT;
static struct sigaction prev_segv, prev_bus;
static pthread_key_t altstack_key;

/* ---- the fault handler -------------------------------------------------------------- */

static void chain(int sig, siginfo_t *info, void *uctx) {
    const struct sigaction *prev = sig == SIGSEGV ? &prev_segv : &prev_bus;
    if (prev->sa_flags & SA_SIGINFO) {
        prev->sa_sigaction(sig, info, uctx);
        return;
    }
    /* An ignored fault cannot be ignored: the kernel would apply the default action. */
    if (prev->sa_handler == SIG_IGN && info->si_code <= 0) return;
    if (prev->sa_handler == SIG_DFL || prev->sa_handler == SIG_IGN) {
        struct sigaction dfl;
        memset(&dfl, 0, sizeof dfl);
        dfl.sa_handler = SIG_DFL;
        sigemptyset(&dfl.sa_mask);
        sigaction(sig, &dfl, NULL);
        /* A real fault happens again on return, with its address; a sent signal is re-raised
         * (it stays pending until the handler returns). */
        if (info->si_code <= 0) raise(sig);
        return;
    }
    prev->sa_handler(sig);
}

static void on_fault(int sig, siginfo_t *info, void *uctx) {
    rt_frame *frame = self.top;
    if (frame && info->si_code > 0) {
        uintptr_t addr = (uintptr_t)info->si_addr;
        uint32_t trap = 0;
        if (rt_guard_fault(addr))
            trap = WASMC_TRAP_MEMORY_OUT_OF_BOUNDS;
        else if (self.stack_low && addr < self.stack_limit &&
                 addr + STACK_SLACK >= self.stack_low)
            trap = WASMC_TRAP_CALL_STACK_EXHAUSTED;
        if (trap) {
            frame->trap = trap;
            frame->signal = sig;
            /* The mask in force when the fault happened, restored after the jump. */
            frame->fault_mask = ((ucontext_t *)uctx)->uc_sigmask;
            siglongjmp(frame->jb, 1);
        }
    }
    int saved = errno;
    chain(sig, info, uctx);
    errno = saved;
}

static void altstack_free(void *mem) {
    stack_t current;
    if (sigaltstack(NULL, &current) == 0 && current.ss_sp == (char *)mem + ALTSTACK_GUARD &&
        !(current.ss_flags & SS_ONSTACK)) {
        stack_t off = {.ss_flags = SS_DISABLE};
        sigaltstack(&off, NULL);
    }
    munmap(mem, ALTSTACK_SIZE + ALTSTACK_GUARD);
}

static void install_handlers(void) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_fault;
    sa.sa_flags = SA_SIGINFO | SA_ONSTACK;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGSEGV, &sa, &prev_segv);
    sigaction(SIGBUS, &sa, &prev_bus);
    pthread_key_create(&altstack_key, altstack_free);
}

void rt_signals_init(void) {
    pthread_once(&signals_once, install_handlers);
}

/* Stack bounds (pthread_getattr_np reads /proc for the main thread: cached) and a signal stack,
 * once per thread. */
static void thread_init(void) {
    char probe;
    uintptr_t sp = (uintptr_t)&probe, low = 0;
    size_t size = 0;
    pthread_attr_t attr;
    if (pthread_getattr_np(pthread_self(), &attr) == 0) {
        void *addr;
        if (pthread_attr_getstack(&attr, &addr, &size) == 0) low = (uintptr_t)addr;
        pthread_attr_destroy(&attr);
    }
    if (low == 0 || low >= sp || sp - low > size) /* unknown or foreign stack: assume 512 KiB */
        low = sp > (512u << 10) ? sp - (512u << 10) : 0;
    if (sp - low > STACK_MAX) low = sp - STACK_MAX;
    uintptr_t margin = (sp - low) / 4 < STACK_MARGIN ? (sp - low) / 4 : STACK_MARGIN;
    self.stack_low = low;
    self.stack_limit = low + margin;

    stack_t current;
    if (sigaltstack(NULL, &current) != 0 || (current.ss_flags & SS_DISABLE) ||
        current.ss_size < ALTSTACK_SIZE) {
        uint8_t *mem = mmap(NULL, ALTSTACK_SIZE + ALTSTACK_GUARD, PROT_READ | PROT_WRITE,
                            MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (mem != MAP_FAILED) {
            mprotect(mem, ALTSTACK_GUARD, PROT_NONE);
            stack_t ss = {.ss_sp = mem + ALTSTACK_GUARD, .ss_size = ALTSTACK_SIZE, .ss_flags = 0};
            if (sigaltstack(&ss, NULL) == 0)
                pthread_setspecific(altstack_key, mem);
            else
                munmap(mem, ALTSTACK_SIZE + ALTSTACK_GUARD);
        }
    }
    self.ready = true;
}

/* ---- calls -------------------------------------------------------------------------- */

uint32_t rt_protected_call(wasmc_store *store, rt_trampoline tramp, void *code, void *ctx,
                           wasmc_value *io) {
    rt_signals_init();
    if (!self.ready) thread_init();
    rt_frame frame;
    frame.trap = WASMC_TRAP_NONE;
    frame.exception = NULL;
    frame.store = store;
    frame.signal = 0;
    frame.prev = self.top;
    uintptr_t saved_limit = store->stack_limit;
    uint32_t saved_depth = store->depth;
    if (saved_limit == 0) store->stack_limit = self.stack_limit;
    store->depth = saved_depth + 1;
    if (sigsetjmp(frame.jb, 0) == 0) {
        self.top = &frame;
        tramp(code, ctx, io);
    } else if (frame.signal) {
        /* Escaping the handler with sigsetjmp(.., 0) leaves the handler's mask in force:
         * put back exactly the mask the thread had when it faulted. */
        pthread_sigmask(SIG_SETMASK, &frame.fault_mask, NULL);
    }
    self.top = frame.prev;
    store->stack_limit = saved_limit;
    store->depth = saved_depth;
    if (frame.trap == WASMC_EXCEPTION) {
        frame.exception->exposed = 1; /* the host may keep it */
        ((rt_store *)store)->uncaught = frame.exception;
    }
    return frame.trap;
}

uintptr_t rt_call_boundary(void) { return (uintptr_t)self.top; }

wasmc_store *rt_call_store(void) { return self.top ? self.top->store : NULL; }

_Noreturn void rt_deliver_uncaught(wasmc_exception *exn) {
    rt_frame *frame = self.top;
    if (!frame) {
        fprintf(stderr, "wasmc: exception thrown outside of any wasmc_call\n");
        abort();
    }
    frame->exception = exn;
    frame->trap = WASMC_EXCEPTION;
    siglongjmp(frame->jb, 1);
}

uint32_t wasmc_call(wasmc_store *store, const wasmc_funcref *func, wasmc_value *io) {
    if (!func || !func->trampoline) return WASMC_TRAP_UNINITIALIZED_ELEMENT;
    return rt_protected_call(store, func->trampoline, func->code, func->ctx, io);
}

_Noreturn void rt_trap(void *ctx, uint32_t code) {
    (void)ctx;
    if (code == WASMC_TRAP_NONE || code >= WASMC_TRAP_COUNT) code = WASMC_TRAP_HOST;
    rt_frame *frame = self.top;
    if (!frame) {
        fprintf(stderr, "wasmc: trap outside of any wasmc_call: %s\n", wasmc_trap_message(code));
        abort();
    }
    frame->trap = code;
    siglongjmp(frame->jb, 1);
}

const char *wasmc_trap_message(uint32_t trap) {
    static const char *const messages[WASMC_TRAP_COUNT] = {
        [WASMC_TRAP_NONE] = "no trap",
        [WASMC_TRAP_UNREACHABLE] = "unreachable",
        [WASMC_TRAP_MEMORY_OUT_OF_BOUNDS] = "out of bounds memory access",
        [WASMC_TRAP_TABLE_OUT_OF_BOUNDS] = "out of bounds table access",
        [WASMC_TRAP_UNDEFINED_ELEMENT] = "undefined element",
        [WASMC_TRAP_UNINITIALIZED_ELEMENT] = "uninitialized element",
        [WASMC_TRAP_INDIRECT_CALL_TYPE_MISMATCH] = "indirect call type mismatch",
        [WASMC_TRAP_INTEGER_DIVIDE_BY_ZERO] = "integer divide by zero",
        [WASMC_TRAP_INTEGER_OVERFLOW] = "integer overflow",
        [WASMC_TRAP_INVALID_CONVERSION] = "invalid conversion to integer",
        [WASMC_TRAP_CALL_STACK_EXHAUSTED] = "call stack exhausted",
        [WASMC_TRAP_HOST] = "host function trapped",
        [WASMC_TRAP_NULL_REFERENCE] = "null reference",
        [WASMC_TRAP_NULL_FUNCTION_REFERENCE] = "null function reference",
        [WASMC_TRAP_NULL_EXCEPTION_REFERENCE] = "null exception reference",
    };
    if (trap == WASMC_EXCEPTION) return "uncaught exception";
    return trap < WASMC_TRAP_COUNT ? messages[trap] : "unknown trap";
}
