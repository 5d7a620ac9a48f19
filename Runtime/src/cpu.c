/* cpu.c: which of LLVM's CPU features the running machine has, and the load-time check of the
 * features a module was compiled for (the metadata's "cpu features", see wasmc_abi.h).
 *
 * Features are named as LLVM names them ("avx2", "sse4.1", "neon", "v"), because that is how
 * the compiler records them. Each name falls in one of three classes:
 *   - detected: the runtime asks the CPU (x86-64: cpuid and xgetbv, the same bits and OS-support
 *     conditions as LLVM 19's sys::getHostCPUFeatures; aarch64: getauxval(AT_HWCAP/AT_HWCAP2);
 *     riscv64: the single-letter bits of AT_HWCAP). Missing → the module is refused.
 *   - needs nothing: LLVM features that demand nothing of the CPU in code generated from wasm:
 *     execution modes, code-generation choices (retpolines, hardening), tuning hints, system and
 *     privileged-mode features, and architecture-version markers whose instructions are checked
 *     through the features they imply.
 *   - anything else is a name this runtime cannot check; such a module is refused too, since
 *     running it could hit an illegal instruction.
 */
#include "internal.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>

#if defined(__x86_64__)
#include <cpuid.h>
#elif defined(__aarch64__) || (defined(__riscv) && __riscv_xlen == 64)
#include <sys/auxv.h>
#endif

typedef struct host_feature {
    const char *name;
    bool present;
} host_feature;

static host_feature host[160];
static size_t nhost;
static pthread_once_t detect_once = PTHREAD_ONCE_INIT;

static void put(const char *name, bool present) {
    if (nhost < sizeof host / sizeof host[0]) host[nhost++] = (host_feature){name, present};
}

#define BIT(reg, n) ((((reg) >> (n)) & 1u) != 0)

#if defined(__x86_64__)

static const char *const needs_nothing[] = {
    "16bit-mode", "32bit-mode", "64bit-mode", "harden-sls-ijmp", "harden-sls-ret",
    "inline-asm-use-gpr32", "lvi-cfi", "lvi-load-hardening", "prefer-128-bit", "prefer-256-bit",
    "prefer-mask-registers", "prefer-no-gather", "prefer-no-scatter", "retpoline",
    "retpoline-external-thunk", "retpoline-indirect-branches", "retpoline-indirect-calls", "seses",
    "soft-float", "tagged-globals", NULL,
};

typedef struct regs {
    unsigned a, b, c, d;
} regs;

static regs cpuid(unsigned leaf, unsigned subleaf, unsigned max) {
    regs r = {0, 0, 0, 0};
    if (leaf <= max) __cpuid_count(leaf, subleaf, r.a, r.b, r.c, r.d);
    return r;
}

static void detect(void) {
    unsigned max = __get_cpuid_max(0, NULL);
    unsigned max_ext = __get_cpuid_max(0x80000000u, NULL);
    regs l1 = cpuid(1, 0, max);
    regs l7 = cpuid(7, 0, max);
    regs l7s1 = l7.a >= 1 ? cpuid(7, 1, max) : (regs){0, 0, 0, 0};
    regs ld1 = cpuid(0xd, 1, max);
    regs l14 = cpuid(0x14, 0, max);
    regs l19 = cpuid(0x19, 0, max);
    regs l24 = cpuid(0x24, 0, max);
    regs e1 = max_ext >= 0x80000001u ? cpuid(0x80000001u, 0, max_ext) : (regs){0, 0, 0, 0};
    regs e8 = max_ext >= 0x80000008u ? cpuid(0x80000008u, 0, max_ext) : (regs){0, 0, 0, 0};

    /* Register state the OS saves on context switches (XCR0): without it the instructions
     * using those registers are unusable even when cpuid lists them. */
    unsigned xcr0 = 0;
    bool os_xsave = BIT(l1.c, 27);
    if (os_xsave) {
        unsigned lo, hi;
        __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
        xcr0 = lo;
    }
    bool avx = os_xsave && BIT(l1.c, 28) && (xcr0 & 0x6) == 0x6;
    bool avx512 = avx && (xcr0 & 0xe0) == 0xe0;
    bool amx = os_xsave && (xcr0 & 0x60000) == 0x60000;
    bool apx = os_xsave && BIT(xcr0, 19) && BIT(l7s1.d, 21);
    bool avx10 = avx512 && BIT(l7s1.d, 19) && (l24.b & 0xff) >= 1;

    put("x87", BIT(l1.d, 0));
    put("cx8", BIT(l1.d, 8));
    put("cmov", BIT(l1.d, 15));
    put("mmx", BIT(l1.d, 23));
    put("fxsr", BIT(l1.d, 24));
    put("sse", BIT(l1.d, 25));
    put("sse2", BIT(l1.d, 26));
    put("sse3", BIT(l1.c, 0));
    put("pclmul", BIT(l1.c, 1));
    put("ssse3", BIT(l1.c, 9));
    put("fma", BIT(l1.c, 12) && avx);
    put("cx16", BIT(l1.c, 13));
    put("sse4.1", BIT(l1.c, 19));
    put("sse4.2", BIT(l1.c, 20));
    put("crc32", BIT(l1.c, 20));
    put("movbe", BIT(l1.c, 22));
    put("popcnt", BIT(l1.c, 23));
    put("aes", BIT(l1.c, 25));
    put("xsave", BIT(l1.c, 26) && avx);
    put("avx", avx);
    put("f16c", BIT(l1.c, 29) && avx);
    put("rdrnd", BIT(l1.c, 30));

    put("sahf", BIT(e1.c, 0));
    put("lzcnt", BIT(e1.c, 5));
    put("sse4a", BIT(e1.c, 6));
    put("sse-unaligned-mem", BIT(e1.c, 7));
    put("prfchw", BIT(e1.c, 8));
    put("xop", BIT(e1.c, 11) && avx);
    put("lwp", BIT(e1.c, 15));
    put("fma4", BIT(e1.c, 16) && avx);
    put("tbm", BIT(e1.c, 21));
    put("mwaitx", BIT(e1.c, 29));
    put("64bit", BIT(e1.d, 29));
    put("nopl", true); /* no cpuid bit; every x86-64 CPU has the long NOPs */
    put("clzero", BIT(e8.b, 0));
    put("rdpru", BIT(e8.b, 4));
    put("wbnoinvd", BIT(e8.b, 9));

    put("fsgsbase", BIT(l7.b, 0));
    put("sgx", BIT(l7.b, 2));
    put("bmi", BIT(l7.b, 3));
    put("avx2", BIT(l7.b, 5) && avx);
    put("bmi2", BIT(l7.b, 8));
    put("ermsb", BIT(l7.b, 9));
    put("invpcid", BIT(l7.b, 10));
    put("rtm", BIT(l7.b, 11));
    put("avx512f", BIT(l7.b, 16) && avx512);
    put("evex512", BIT(l7.b, 16) && avx512);
    put("avx512dq", BIT(l7.b, 17) && avx512);
    put("rdseed", BIT(l7.b, 18));
    put("adx", BIT(l7.b, 19));
    put("avx512ifma", BIT(l7.b, 21) && avx512);
    put("clflushopt", BIT(l7.b, 23));
    put("clwb", BIT(l7.b, 24));
    put("avx512cd", BIT(l7.b, 28) && avx512);
    put("sha", BIT(l7.b, 29));
    put("avx512bw", BIT(l7.b, 30) && avx512);
    put("avx512vl", BIT(l7.b, 31) && avx512);
    put("avx512vbmi", BIT(l7.c, 1) && avx512);
    put("pku", BIT(l7.c, 4));
    put("waitpkg", BIT(l7.c, 5));
    put("avx512vbmi2", BIT(l7.c, 6) && avx512);
    put("shstk", BIT(l7.c, 7));
    put("gfni", BIT(l7.c, 8));
    put("vaes", BIT(l7.c, 9) && avx);
    put("vpclmulqdq", BIT(l7.c, 10) && avx);
    put("avx512vnni", BIT(l7.c, 11) && avx512);
    put("avx512bitalg", BIT(l7.c, 12) && avx512);
    put("avx512vpopcntdq", BIT(l7.c, 14) && avx512);
    put("rdpid", BIT(l7.c, 22));
    put("kl", BIT(l7.c, 23));
    put("cldemote", BIT(l7.c, 25));
    put("movdiri", BIT(l7.c, 27));
    put("movdir64b", BIT(l7.c, 28));
    put("enqcmd", BIT(l7.c, 29));
    put("fsrm", BIT(l7.d, 4));
    put("uintr", BIT(l7.d, 5));
    put("avx512vp2intersect", BIT(l7.d, 8) && avx512);
    put("serialize", BIT(l7.d, 14));
    put("tsxldtrk", BIT(l7.d, 16));
    put("pconfig", BIT(l7.d, 18));
    put("amx-bf16", BIT(l7.d, 22) && amx);
    put("avx512fp16", BIT(l7.d, 23) && avx512);
    put("amx-tile", BIT(l7.d, 24) && amx);
    put("amx-int8", BIT(l7.d, 25) && amx);

    put("sha512", BIT(l7s1.a, 0));
    put("sm3", BIT(l7s1.a, 1));
    put("sm4", BIT(l7s1.a, 2));
    put("raoint", BIT(l7s1.a, 3));
    put("avxvnni", BIT(l7s1.a, 4) && avx);
    put("avx512bf16", BIT(l7s1.a, 5) && avx512);
    put("cmpccxadd", BIT(l7s1.a, 7));
    put("amx-fp16", BIT(l7s1.a, 21) && amx);
    put("hreset", BIT(l7s1.a, 22));
    put("avxifma", BIT(l7s1.a, 23) && avx);
    put("avxvnniint8", BIT(l7s1.d, 4) && avx);
    put("avxneconvert", BIT(l7s1.d, 5) && avx);
    put("amx-complex", BIT(l7s1.d, 8) && amx);
    put("avxvnniint16", BIT(l7s1.d, 10) && avx);
    put("prefetchi", BIT(l7s1.d, 14));
    put("usermsr", BIT(l7s1.d, 15));
    put("avx10.1-256", avx10);
    put("avx10.1-512", avx10 && BIT(l24.b, 18));
    static const char *const apx_parts[] = {"egpr", "push2pop2", "ppx", "ndd", "ccmp", "cf", "nf", "zu"};
    for (size_t i = 0; i < sizeof apx_parts / sizeof apx_parts[0]; i++) put(apx_parts[i], apx);

    put("xsaveopt", BIT(ld1.a, 0) && avx);
    put("xsavec", BIT(ld1.a, 1) && avx);
    put("xsaves", BIT(ld1.a, 3) && avx);
    put("ptwrite", BIT(l14.b, 4));
    put("widekl", BIT(l7.c, 23) && BIT(l19.b, 2));
}

#elif defined(__aarch64__)

static const char *const needs_nothing[] = {
    /* architecture versions: their instructions come with the features they imply */
    "v8a", "v8.1a", "v8.2a", "v8.3a", "v8.4a", "v8.5a", "v8.6a", "v8.7a", "v8.8a", "v8.9a",
    "v9a", "v9.1a", "v9.2a", "v9.3a", "v9.4a", "v9.5a", "v8r",
    /* system registers, privileged and debug features, tuning and code-generation choices */
    "CONTEXTIDREL2", "am", "amvs", "apple-a7-sysreg", "brbe", "ccidx", "ecv", "el2vmsa", "el3",
    "ete", "fgt", "hcx", "lor", "mpam", "nv", "pan", "pan-rwv", "perfmon", "ras", "rme", "sel2",
    "spe", "spe-eef", "specrestrict", "tlb-rmi", "tracev8.4", "trbe", "uaops", "vh", "xs",
    "use-scalar-inc-vl", "outline-atomics", "strict-align",
    /* hint-space instructions (no-ops on CPUs without them) and instructions LLVM emits only
     * for intrinsics or inline assembly, which wasm code cannot reach */
    "bti", "ls64", "predres", NULL,
};

#ifndef AT_HWCAP2
#define AT_HWCAP2 26
#endif

static void detect(void) {
    unsigned long h = getauxval(AT_HWCAP), h2 = getauxval(AT_HWCAP2);
    put("fp-armv8", BIT(h, 0));
    put("neon", BIT(h, 1));
    put("aes", BIT(h, 3) && BIT(h, 4)); /* AES and PMULL */
    put("sha2", BIT(h, 5) && BIT(h, 6)); /* SHA1 and SHA2 */
    put("crc", BIT(h, 7));
    put("lse", BIT(h, 8));
    put("fullfp16", BIT(h, 9) && BIT(h, 10));
    put("rdm", BIT(h, 12));
    put("jsconv", BIT(h, 13));
    put("complxnum", BIT(h, 14));
    put("rcpc", BIT(h, 15));
    put("ccpp", BIT(h, 16));
    put("sha3", BIT(h, 17) && BIT(h, 21)); /* SHA3 and SHA512 */
    put("sm4", BIT(h, 18) && BIT(h, 19));  /* SM3 and SM4 */
    put("dotprod", BIT(h, 20));
    put("sve", BIT(h, 22));
    put("fp16fml", BIT(h, 23));
    put("dit", BIT(h, 24));
    put("lse2", BIT(h, 25));
    put("rcpc-immo", BIT(h, 26));
    put("flagm", BIT(h, 27));
    put("ssbs", BIT(h, 28));
    put("sb", BIT(h, 29));
    put("pauth", BIT(h, 30) && BIT(h, 31));
    put("ccdp", BIT(h2, 0));
    put("sve2", BIT(h2, 1));
    put("sve2-aes", BIT(h2, 2) && BIT(h2, 3));
    put("sve2-bitperm", BIT(h2, 4));
    put("sve2-sha3", BIT(h2, 5));
    put("sve2-sm4", BIT(h2, 6));
    put("altnzcv", BIT(h2, 7));
    put("fptoint", BIT(h2, 8));
    put("f32mm", BIT(h2, 10));
    put("f64mm", BIT(h2, 11));
    put("i8mm", BIT(h2, 13));
    put("bf16", BIT(h2, 14));
    put("rand", BIT(h2, 16));
    put("mte", BIT(h2, 18));
    put("sme", BIT(h2, 23));
    put("sme-i16i64", BIT(h2, 24));
    put("sme-f64f64", BIT(h2, 25));
    put("wfxt", BIT(h2, 31));
    put("cssc", BIT(h2, 34));
    put("sme2", BIT(h2, 37));
    put("mops", BIT(h2, 43));
    put("hbc", BIT(h2, 44));
}

#elif defined(__riscv) && __riscv_xlen == 64

static const char *const needs_nothing[] = {
    "relax", "save-restore", "unaligned-scalar-mem", "unaligned-vector-mem", NULL,
};

static void detect(void) {
    unsigned long h = getauxval(AT_HWCAP);
#define EXT(letter) BIT(h, (letter) - 'a')
    put("64bit", true);
    put("i", true);
    /* Linux on riscv64 runs only on harts with Zicsr and Zifencei (part of rv64g). */
    put("zicsr", true);
    put("zifencei", true);
    put("m", EXT('m'));
    put("zmmul", EXT('m'));
    put("a", EXT('a'));
    put("f", EXT('f'));
    put("d", EXT('d'));
    put("c", EXT('c'));
    /* V implies the embedded vector subsets and VLEN >= 128. */
    static const char *const v_parts[] = {"v", "zve32x", "zve32f", "zve64x", "zve64f", "zve64d",
                                          "zvl32b", "zvl64b", "zvl128b"};
    for (size_t i = 0; i < sizeof v_parts / sizeof v_parts[0]; i++) put(v_parts[i], EXT('v'));
#undef EXT
}

#else

static const char *const needs_nothing[] = {NULL};
static void detect(void) {}

#endif

/* 1: the CPU has it, or it needs nothing; 0: the CPU lacks it; -1: unknown to this runtime. */
static int supports(const char *name, size_t len) {
    pthread_once(&detect_once, detect);
    for (size_t i = 0; i < nhost; i++)
        if (strlen(host[i].name) == len && memcmp(host[i].name, name, len) == 0)
            return host[i].present ? 1 : 0;
    for (size_t i = 0; needs_nothing[i]; i++)
        if (strlen(needs_nothing[i]) == len && memcmp(needs_nothing[i], name, len) == 0) return 1;
    return -1;
}

int wasmc_cpu_supports(const char *feature) {
    if (!feature) return -1;
    if (*feature == '+') feature++;
    return supports(feature, strlen(feature));
}

/* Appends "name" to a ", "-separated list in buf, as far as it fits. */
static void list_add(char *buf, size_t size, size_t *count, const char *name, size_t len) {
    size_t used = strlen(buf);
    if (used + 2 + len + 1 > size) return;
    if ((*count)++) memcpy(buf + used, ", ", 2), used += 2;
    memcpy(buf + used, name, len);
    buf[used + len] = 0;
}

const char *rt_cpu_check(const wasmc_module *m, char *buf, size_t len) {
    char missing[200] = "", unknown[200] = "";
    size_t nmissing = 0, nunknown = 0;
    for (const char *p = m->features; *p;) {
        size_t n = strcspn(p, ",");
        if (n > 1 && p[0] == '+') {
            int has = supports(p + 1, n - 1);
            if (has == 0) list_add(missing, sizeof missing, &nmissing, p + 1, n - 1);
            else if (has < 0) list_add(unknown, sizeof unknown, &nunknown, p + 1, n - 1);
        }
        p += n + (p[n] == ',');
    }
    if (!nmissing && !nunknown) return NULL;
    bool lacks = nmissing != 0;
    snprintf(buf, len, "needs CPU feature%s %s (compiled for %s), which %s",
             (lacks ? nmissing : nunknown) > 1 ? "s" : "", lacks ? missing : unknown,
             *m->cpu ? m->cpu : "an unnamed CPU",
             lacks ? "this CPU lacks" : "this runtime cannot check");
    return buf;
}
