/* bundle.c: bundles ("The bundle" in wasmc_abi.h), a .wasm that carries native code for several
 * machines. The loader walks its sections, reads the metadata of each native .so inside (as
 * wasmc_module_inspect does, from memory), picks the one for this machine that requires the most
 * CPU features this CPU has, and loads it from a sealed memfd, its data image mapped from the
 * bundle itself. */
#include "internal.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAX_NATIVES 64

typedef struct bundle_file {
    const uint8_t *bytes;
    uint64_t size;
    bool has_header, has_data;
    wasmc_bundle_header header;
    uint64_t data_offset, data_size;       /* the data image */
    uint64_t archive_offset, archive_size; /* the linked modules' archive; size 0 if none */
    uint64_t metadata_offset, metadata_size; /* the first target's metadata blob; size 0 if none */
    uint32_t nnatives;
    struct {
        uint64_t offset, size;
    } natives[MAX_NATIVES];
} bundle_file;

static uint64_t leb(const bundle_file *b, uint64_t *at, bool *ok) {
    uint64_t value = 0;
    for (unsigned shift = 0; shift < 35; shift += 7) {
        if (*at >= b->size) break;
        uint8_t byte = b->bytes[(*at)++];
        value |= (uint64_t)(byte & 0x7f) << shift;
        if (!(byte & 0x80)) return value;
    }
    *ok = false;
    return 0;
}

static bool named(const uint8_t *name, uint64_t len, const char *want) {
    return len == strlen(want) && memcmp(name, want, len) == 0;
}

/* Walks the sections: the module's own are skipped, the bundle's found. */
static const char *bundle_parse(bundle_file *b, char *buf, size_t len) {
    if (b->size < 8 || memcmp(b->bytes, "\0asm\1\0\0\0", 8) != 0) return "not a wasm module (bad magic or version)";
    uint64_t at = 8;
    while (at < b->size) {
        uint64_t start = at;
        bool ok = true;
        uint8_t id = b->bytes[at++];
        uint64_t size = leb(b, &at, &ok);
        if (!ok || size > b->size - at)
            return rt_format(buf, len, "the section at offset %llu runs past the end of the file (cut short?)",
                             (unsigned long long)start);
        uint64_t end = at + size;
        if (id == 0) {
            uint64_t name_len = leb(b, &at, &ok);
            if (!ok || name_len > end - at)
                return rt_format(buf, len, "the custom section at offset %llu is malformed", (unsigned long long)start);
            const uint8_t *name = b->bytes + at;
            at += name_len;
            uint64_t payload = end - at;
            if (named(name, name_len, WASMC_BUNDLE_SECTION)) {
                if (payload < sizeof b->header) return "its wasmc.bundle section is truncated";
                memcpy(&b->header, b->bytes + at, sizeof b->header);
                if (memcmp(b->header.magic, WASMC_BUNDLE_MAGIC, 8) != 0) return "its wasmc.bundle section is malformed";
                if (b->header.version != WASMC_BUNDLE_VERSION)
                    return rt_format(buf, len, "a bundle of format version %u (this runtime reads %u)", b->header.version,
                                     WASMC_BUNDLE_VERSION);
                if (b->header.module_size > start) return "its wasmc.bundle section says the module ends after it";
                b->has_header = true;
                b->archive_offset = at + sizeof b->header;
                b->archive_size = payload - sizeof b->header;
            } else if (named(name, name_len, WASMC_BUNDLE_DATA_SECTION)) {
                uint32_t pad;
                if (payload < 4) return "its wasmc.data section is truncated";
                memcpy(&pad, b->bytes + at, 4);
                if (pad > payload - 4) return "its wasmc.data section is malformed";
                b->has_data = true;
                b->data_offset = at + 4 + pad;
                b->data_size = payload - 4 - pad;
            } else if (named(name, name_len, WASMC_BUNDLE_METADATA_SECTION)) {
                b->metadata_offset = at;
                b->metadata_size = payload;
            } else if (named(name, name_len, WASMC_BUNDLE_NATIVE_SECTION)) {
                if (b->nnatives == MAX_NATIVES) return "more than 64 native sections";
                b->natives[b->nnatives].offset = at;
                b->natives[b->nnatives].size = payload;
                b->nnatives++;
            }
        }
        at = end;
    }
    if (!b->has_header) return "a wasm module, not a wasmc bundle: compile it (wasmc compile) to run it natively";
    return NULL;
}

static char *copy_string(const char *s) {
    size_t n = strlen(s) + 1;
    char *copy = malloc(n);
    if (copy) memcpy(copy, s, n);
    return copy;
}

static unsigned feature_count(const char *features) {
    unsigned n = 0;
    for (const char *p = features; *p; p++) n += *p == '+';
    return n;
}

/* Reads every native's metadata into `natives` (a copy of each native's bytes in `copies`), and
 * returns the index of the best one that can run here, or -1. */
static int bundle_choose(const bundle_file *b, struct rt_bundle_native *natives, uint8_t **copies) {
    int best = -1;
    unsigned best_score = 0;
    for (uint32_t i = 0; i < b->nnatives; i++) {
        char buf[512];
        const char *why = NULL;
        wasmc_module m;
        memset(&m, 0, sizeof m);
        copies[i] = malloc(b->natives[i].size ? b->natives[i].size : 1);
        if (!copies[i]) {
            natives[i].refusal = copy_string("out of memory");
            continue;
        }
        memcpy(copies[i], b->bytes + b->natives[i].offset, b->natives[i].size);
        if (!(why = rt_inspect_elf(&m, copies[i], b->natives[i].size, buf, sizeof buf))) {
            natives[i].target = copy_string(m.target);
            natives[i].cpu = copy_string(m.cpu);
            natives[i].features = copy_string(m.features);
            if (!rt_arch_matches(m.target)) why = "another architecture";
            else why = rt_cpu_check(&m, buf, sizeof buf);
            if (!why && (best < 0 || feature_count(m.features) > best_score)) {
                best = (int)i;
                best_score = feature_count(m.features);
            }
        }
        if (why) natives[i].refusal = copy_string(why);
        rt_metadata_free(&m);
    }
    return best;
}

/* The wasm inside a bundle: the bundle's first bytes (the compiled module, stored), then the
 * linked modules' archive. */
static const char *bundle_wasm(wasmc_module *m, const bundle_file *b, int fd, char *buf, size_t len) {
    if (!(m->wasm = calloc(1, sizeof *m->wasm)) || !(m->wasm[0].name = copy_string(""))) return "out of memory";
    m->nwasm = 1;
    m->wasm[0].compression = WASMC_WASM_STORED;
    m->wasm[0].size = m->wasm[0].compressed_size = b->header.module_size;
    m->wasm[0].file_offset = 0;
    for (int i = 0; i < 32; i++) snprintf(m->wasm[0].sha256 + 2 * i, 3, "%02x", b->header.sha256[i]);
    if (strcmp(m->wasm[0].sha256, m->hash) != 0)
        return rt_format(buf, len, "the bundle's module is not the one its native code was compiled from (sha256 %s, "
                         "the metadata says %s)", m->wasm[0].sha256, m->hash);
    if (b->archive_size) return rt_wasm_entries(m, fd, b->archive_offset, b->archive_size, "its linked modules", buf, len);
    return NULL;
}

static void natives_free(struct rt_bundle_native *natives, uint32_t n) {
    for (uint32_t i = 0; natives && i < n; i++) {
        free(natives[i].target);
        free(natives[i].cpu);
        free(natives[i].features);
        free(natives[i].refusal);
    }
    free(natives);
}

void rt_bundle_free(wasmc_module *m) {
    natives_free(m->bundle, m->nbundle);
    m->bundle = NULL;
    m->nbundle = 0;
    free(m->owned_copy);
    m->owned_copy = NULL;
}

/* Opens and maps the bundle and chooses its native code: the chosen index (-1 if none can run
 * here), with what each native is in *natives and a copy of each in copies. */
typedef struct opened_bundle {
    int fd;
    void *map;
    bundle_file b;
    struct rt_bundle_native *natives;
    uint8_t **copies;
    int chosen;
} opened_bundle;

static void bundle_close(opened_bundle *o, bool keep_natives) {
    for (uint32_t i = 0; o->copies && i < (o->b.nnatives ? o->b.nnatives : 1); i++) free(o->copies[i]);
    free(o->copies);
    if (!keep_natives) natives_free(o->natives, o->b.nnatives);
    if (o->map && o->map != MAP_FAILED) munmap(o->map, (size_t)o->b.size);
    if (o->fd >= 0) close(o->fd);
}

static const char *bundle_open(opened_bundle *o, const char *file, char *buf, size_t len) {
    memset(o, 0, sizeof *o);
    o->fd = open(file, O_RDONLY | O_CLOEXEC);
    struct stat st;
    if (o->fd < 0 || fstat(o->fd, &st) != 0) return rt_format(buf, len, "cannot open it: %s", strerror(errno));
    o->b.size = (uint64_t)st.st_size;
    o->map = o->b.size ? mmap(NULL, (size_t)o->b.size, PROT_READ, MAP_PRIVATE, o->fd, 0) : MAP_FAILED;
    if (o->map == MAP_FAILED) return "cannot map it";
    o->b.bytes = o->map;
    const char *why = bundle_parse(&o->b, buf, len);
    if (why) return why;
    if (o->b.nnatives == 0 && o->b.metadata_size == 0) return "a bundle without native code or metadata";
    o->natives = calloc(o->b.nnatives ? o->b.nnatives : 1, sizeof *o->natives);
    o->copies = calloc(o->b.nnatives ? o->b.nnatives : 1, sizeof *o->copies);
    if (!o->natives || !o->copies) return "out of memory";
    o->chosen = bundle_choose(&o->b, o->natives, o->copies);
    return NULL;
}

/* "x86_64-pc-linux-gnu (x86-64-v3): needs CPU feature avx512f...; aarch64-...: another architecture" */
static const char *refusals(const opened_bundle *o, char *buf, size_t len) {
    size_t used = 0;
    buf[0] = 0;
    for (uint32_t i = 0; i < o->b.nnatives && used < len; i++) {
        const struct rt_bundle_native *n = &o->natives[i];
        int w = snprintf(buf + used, len - used, "%s%s (%s): %s", i ? "; " : "", n->target ? n->target : "?",
                         n->cpu ? n->cpu : "?", n->refusal ? n->refusal : "runs here");
        if (w < 0) break;
        used += (size_t)w;
    }
    return buf;
}

wasmc_module *rt_bundle_load(const char *path, const char *file, const char *data_path, wasmc_error *error) {
    char buf[2048];
    if (data_path) return rt_fail(error, WASMC_ERROR_LOAD, 0, "%s: a bundle carries its data image; a data file does not apply", path);
    opened_bundle o;
    const char *why = bundle_open(&o, file, buf, sizeof buf);
    if (why) {
        rt_fail(error, WASMC_ERROR_LOAD, 0, "%s: %s", path, why);
        bundle_close(&o, false);
        return NULL;
    }
    if (o.chosen < 0) {
        char list[1536];
        if (o.b.nnatives == 0) rt_fail(error, WASMC_ERROR_NO_NATIVE, 0, "%s: the bundle holds no native code", path);
        else rt_fail(error, WASMC_ERROR_NO_NATIVE, 0, "%s: no native code in the bundle runs here: %s", path,
                     refusals(&o, list, sizeof list));
        bundle_close(&o, false);
        return NULL;
    }
    /* The chosen .so from a sealed memory file: dlopen needs a file, and nothing may change it. */
    int memory = wasmc_memory_file_new("wasmc-bundle-native");
    uint64_t size = o.b.natives[o.chosen].size;
    bool written = memory >= 0 && pwrite(memory, o.copies[o.chosen], (size_t)size, 0) == (ssize_t)size &&
                   wasmc_memory_file_seal(memory) == 0;
    if (!written) {
        rt_fail(error, WASMC_ERROR_RESOURCE, 0, "%s: cannot hold its native code in memory: %s", path, strerror(errno));
        if (memory >= 0) close(memory);
        bundle_close(&o, false);
        return NULL;
    }
    char native[64];
    snprintf(native, sizeof native, "/proc/self/fd/%d", memory);
    rt_data_source source = {o.fd, o.b.data_offset, o.b.data_size, "the bundle's wasmc.data section"};
    wasmc_module *m = rt_load_so(path, native, NULL, o.b.has_data ? &source : NULL, error);
    close(memory);
    if (m && (why = bundle_wasm(m, &o.b, o.fd, buf, sizeof buf))) {
        rt_fail(error, WASMC_ERROR_LOAD, 0, "%s: %s", path, why);
        wasmc_module_unload(m);
        m = NULL;
    }
    if (m) {
        m->bundle = o.natives;
        m->nbundle = o.b.nnatives;
        m->bundle_chosen = (uint32_t)o.chosen;
    }
    bundle_close(&o, m != NULL);
    return m;
}

wasmc_module *rt_bundle_inspect(const char *path, wasmc_error *error) {
    char buf[2048];
    opened_bundle o;
    const char *why = bundle_open(&o, path, buf, sizeof buf);
    wasmc_module *m = why ? NULL : calloc(1, sizeof *m);
    if (!why && !m) why = "out of memory";
    /* What it would load here; the first native when none runs here; the metadata section when
     * no native is left (its machine is then "none"). */
    uint32_t shown = o.chosen >= 0 ? (uint32_t)o.chosen : 0;
    if (!why && o.b.nnatives == 0) {
        if (!(o.copies[0] = malloc(o.b.metadata_size))) why = "out of memory";
        else {
            memcpy(o.copies[0], o.b.bytes + o.b.metadata_offset, o.b.metadata_size);
            snprintf(m->machine, sizeof m->machine, "none");
            if (rt_metadata_parse(m, o.copies[0], o.b.metadata_size, buf, sizeof buf) != 0) why = buf;
        }
    } else if (!why)
        why = rt_inspect_elf(m, o.copies[shown], o.b.natives[shown].size, buf, sizeof buf);
    if (!why) why = bundle_wasm(m, &o.b, o.fd, buf, sizeof buf);
    if (why) {
        rt_fail(error, WASMC_ERROR_LOAD, 0, "%s: %s", path, why);
        if (m) {
            rt_wasm_free(m);
            rt_metadata_free(m);
            free(m);
        }
        bundle_close(&o, false);
        return NULL;
    }
    m->data_fd = -1;
    m->refcount = 1;
    m->owned_copy = o.copies[shown];
    o.copies[shown] = NULL;
    m->bundle = o.natives;
    m->nbundle = o.b.nnatives;
    m->bundle_chosen = o.chosen >= 0 ? (uint32_t)o.chosen : UINT32_MAX;
    bundle_close(&o, true);
    rt_fail(error, WASMC_OK, 0, "%s", "");
    return m;
}

uint32_t wasmc_module_bundle_count(const wasmc_module *m) { return m->nbundle; }

int wasmc_module_bundle_native(const wasmc_module *m, uint32_t index, wasmc_bundle_native_info *out) {
    memset(out, 0, sizeof *out);
    if (index >= m->nbundle) return 0;
    const struct rt_bundle_native *n = &m->bundle[index];
    *out = (wasmc_bundle_native_info){n->target, n->cpu, n->features, n->refusal, index == m->bundle_chosen};
    return 1;
}

int wasmc_is_bundle(const char *path) {
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    struct stat st;
    if (fd < 0) return 0;
    int result = 0;
    void *map = MAP_FAILED;
    if (fstat(fd, &st) == 0 && st.st_size >= 8) map = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
    if (map != MAP_FAILED) {
        bundle_file b;
        char buf[256];
        memset(&b, 0, sizeof b);
        b.bytes = map;
        b.size = (uint64_t)st.st_size;
        (void)bundle_parse(&b, buf, sizeof buf);
        result = b.has_header;
        munmap(map, (size_t)st.st_size);
    }
    close(fd);
    return result;
}
