/* instance.c: loading a compiled .so (descriptor checks, metadata), introspection, and
 * instantiation following https://webassembly.github.io/spec/core/exec/modules.html#instantiation:
 * import matching, vmctx construction, the module's init function and start function under a
 * trap point, then exports by name.
 *
 * Lifetimes: an instance is refcounted. The user holds one reference; an instance importing a
 * function or global of another instance (the funcref or cell lies in the exporter's vmctx)
 * holds one on the exporter, so exported globals and functions outlive a deleted exporter
 * while they are imported. An instance whose initialization trapped is kept until its store is
 * deleted: the spec lets its element segments already sit in imported tables. */
#include "internal.h"

#include <dlfcn.h>
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

static pthread_mutex_t live_lock = PTHREAD_MUTEX_INITIALIZER;
static wasmc_instance *live; /* every instance with a vmctx, for owner lookups */

/* ---- loading ------------------------------------------------------------------------ */

#if defined(__x86_64__)
#define HOST_ARCH "x86_64"
#define HOST_ELF_MACHINE EM_X86_64
static const char *const host_arch_names[] = {"x86_64", "amd64", NULL};
#elif defined(__aarch64__)
#define HOST_ARCH "aarch64"
#define HOST_ELF_MACHINE EM_AARCH64
static const char *const host_arch_names[] = {"aarch64", "arm64", NULL};
#elif defined(__riscv) && __riscv_xlen == 64
#define HOST_ARCH "riscv64"
#define HOST_ELF_MACHINE EM_RISCV
static const char *const host_arch_names[] = {"riscv64", NULL};
#else
#define HOST_ARCH "this"
static const char *const host_arch_names[] = {NULL};
#endif

/* Whether the triple's architecture is the host's. */
bool rt_arch_matches(const char *triple) {
    size_t n = strcspn(triple, "-");
    if (n == 0 || !host_arch_names[0]) return true; /* not recorded, or a host we do not know */
    for (size_t i = 0; host_arch_names[i]; i++)
        if (strlen(host_arch_names[i]) == n && memcmp(host_arch_names[i], triple, n) == 0) return true;
    return false;
}

/* Checks the ELF file before dlopen: its machine (dlopen reports a shared object of another
 * architecture as "cannot open shared object file: No such file or directory") and, for a
 * 64-bit little-endian file, that the program headers, the segments and the section headers lie
 * within the file (dlopen maps a truncated file and dies of SIGBUS or SIGSEGV reading past its
 * end). Files that cannot be read, or are not ELF, are left to dlopen's own errors. */
static const char *check_elf_fd(int fd, bool *foreign, char *buf, size_t len) {
    struct stat st;
    Elf64_Ehdr h;
    ssize_t n = pread(fd, &h, sizeof h, 0);
    if (fstat(fd, &st) != 0 || n < (ssize_t)SELFMAG || memcmp(h.e_ident, ELFMAG, SELFMAG) != 0)
        return NULL;
    uint64_t size = (uint64_t)st.st_size;
    if (n < 20) return rt_format(buf, len, "truncated ELF file (%llu bytes)", (unsigned long long)size);
#ifdef HOST_ELF_MACHINE
    /* e_ident, e_type, e_machine: the same offsets in both ELF classes. */
    const unsigned char *b = h.e_ident;
    unsigned machine = b[EI_DATA] == ELFDATA2MSB ? (unsigned)b[18] << 8 | b[19]
                                                 : (unsigned)b[19] << 8 | b[18];
    if (machine != HOST_ELF_MACHINE || b[EI_CLASS] != ELFCLASS64 || b[EI_DATA] != ELFDATA2LSB) {
        const char *name = machine == EM_X86_64 ? "x86_64"
                           : machine == EM_AARCH64 ? "aarch64"
                           : machine == EM_RISCV ? (b[EI_CLASS] == ELFCLASS64 ? "riscv64" : "riscv32")
                           : machine == EM_386 ? "i386"
                           : machine == EM_ARM ? "arm"
                           : NULL;
        char other[32];
        if (!name) name = rt_format(other, sizeof other, "ELF machine %u", machine);
        *foreign = true;
        return rt_format(buf, len, "compiled for %s%s, which this %s host cannot run", name,
                      b[EI_CLASS] == ELFCLASS64 ? "" : " (32-bit)", HOST_ARCH);
    }
#endif
    if (h.e_ident[EI_CLASS] != ELFCLASS64 || h.e_ident[EI_DATA] != ELFDATA2LSB) return NULL;
    if (n < (ssize_t)sizeof h)
        return rt_format(buf, len, "truncated ELF file (%llu bytes, the ELF header is %zu)",
                      (unsigned long long)size, sizeof h);
    /* 64-bit offsets plus 16-bit counts times 16-bit sizes: no overflow. */
    uint64_t ph_end = h.e_phoff + (uint64_t)h.e_phnum * h.e_phentsize;
    if (h.e_phnum && ph_end > size)
        return rt_format(buf, len, "truncated ELF file (%llu bytes, program headers end at %llu)",
                      (unsigned long long)size, (unsigned long long)ph_end);
    /* The section headers come last in ld.lld's output; stripped files may have none. */
    uint64_t sh_end = h.e_shoff + (uint64_t)h.e_shnum * h.e_shentsize;
    if (h.e_shnum && sh_end > size)
        return rt_format(buf, len, "truncated ELF file (%llu bytes, section headers end at %llu)",
                      (unsigned long long)size, (unsigned long long)sh_end);
    for (unsigned i = 0; i < h.e_phnum && h.e_phentsize >= sizeof(Elf64_Phdr); i++) {
        Elf64_Phdr ph;
        if (pread(fd, &ph, sizeof ph, (off_t)(h.e_phoff + (uint64_t)i * h.e_phentsize)) != (ssize_t)sizeof ph)
            break;
        if (ph.p_filesz && (ph.p_offset > size || ph.p_filesz > size - ph.p_offset))
            return rt_format(buf, len, "truncated ELF file (%llu bytes, segment %u ends at %llu)",
                          (unsigned long long)size, i, (unsigned long long)(ph.p_offset + ph.p_filesz));
    }
    return NULL;
}

/* Sets *foreign when the module is sound but for another machine (architecture, CPU). */
static const char *check_descriptor(const wasmc_module *m, bool *foreign, char *buf, size_t len) {
    const wasmc_module_descriptor *d = m->desc;
    uint32_t nimported = m->nimported[WASMC_EXTERN_FUNC];
    *foreign = true;
    if (!rt_arch_matches(m->target))
        return rt_format(buf, len, "compiled for %s, which this %s host cannot run", m->target,
                      HOST_ARCH);
    const char *cpu = rt_cpu_check(m, buf, len);
    if (cpu) return cpu;
    *foreign = false;
    if (m->nfuncs > nimported && !d->functions) return "descriptor has no function table";
    if (m->nfuncs && !d->trampolines) return "descriptor has no trampolines";
    for (uint32_t i = 0; i < m->nfuncs; i++)
        if (!d->trampolines[m->func_types[i]] || (i >= nimported && !d->functions[i - nimported]))
            return rt_format(buf, len, "descriptor lacks code or trampoline for function %u", i);
    if ((d->profile_counts || d->profile_count_len) &&
        (!d->profile_counts || d->profile_count_len != m->nfuncs - nimported))
        return "descriptor's execution counters do not match its functions";
    return NULL;
}

wasmc_module *wasmc_module_load(const char *path, wasmc_error *error) {
    return wasmc_module_load_data(path, NULL, error);
}

wasmc_module *wasmc_module_load_data(const char *path, const char *data_path, wasmc_error *error) {
    /* dlopen searches the library path for a name without a slash: make it relative to the
     * current directory, as a file name is everywhere else. */
    char local[PATH_MAX];
    const char *file = path;
    if (!strchr(path, '/')) {
        if ((size_t)snprintf(local, sizeof local, "./%s", path) >= sizeof local)
            return rt_fail(error, WASMC_ERROR_LOAD, 0, "%s: path too long", path);
        file = local;
    }
    /* A bundle (a .wasm with native code for several machines inside): its code for this one. */
    int probe = open(file, O_RDONLY | O_CLOEXEC);
    if (probe >= 0) {
        char magic[4];
        bool bundle = pread(probe, magic, 4, 0) == 4 && memcmp(magic, "\0asm", 4) == 0;
        close(probe);
        if (bundle) return rt_bundle_load(path, file, data_path, error);
    }
    return rt_load_so(path, file, data_path, NULL, error);
}

wasmc_module *rt_load_so(const char *path, const char *file, const char *data_path, const rt_data_source *image,
                         wasmc_error *error) {
    /* Kept open until the data image is found in it (dlopen opens the file again). */
    int fd = open(file, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return rt_fail(error, WASMC_ERROR_LOAD, 0, "cannot open %s: %s", path, strerror(errno));
    char elf[200];
    bool foreign = false; /* sound, for another machine: WASMC_ERROR_NO_NATIVE */
    const char *bad = fd >= 0 ? check_elf_fd(fd, &foreign, elf, sizeof elf) : NULL;
    if (bad) {
        close(fd);
        return rt_fail(error, foreign ? WASMC_ERROR_NO_NATIVE : WASMC_ERROR_LOAD, 0, "%s: %s", path, bad);
    }
    void *handle = dlopen(file, RTLD_NOW | RTLD_LOCAL);
    if (!handle) {
        if (fd >= 0) close(fd);
        const char *why = dlerror();
        return rt_fail(error, WASMC_ERROR_LOAD, 0, "cannot load %s", why ? why : path);
    }
    const wasmc_module_descriptor *d = dlsym(handle, "wasmc_module");
    wasmc_module *m = calloc(1, sizeof *m);
    char buf[PATH_MAX + 400];
    const char *why = NULL;
    if (m) m->data_fd = -1;
    if (!m)
        why = "out of memory";
    else if (!d)
        why = "not a wasmc module (no wasmc_module symbol)";
    else if (d->magic != WASMC_DESCRIPTOR_MAGIC)
        why = rt_format(buf, sizeof buf, "not a wasmc module (bad descriptor magic 0x%08x)", d->magic);
    else if (d->abi_version != WASMC_ABI_VERSION) {
        why = rt_format(buf, sizeof buf, "ABI version %u is not supported by this runtime (expects %u)",
                     d->abi_version, WASMC_ABI_VERSION);
        foreign = true;
    }
    else if (!d->runtime_slot || (!d->metadata && d->metadata_size))
        why = "incomplete module descriptor";
    else {
        m->handle = handle;
        m->desc = d;
        if (rt_metadata_parse(m, d->metadata, d->metadata_size, buf, sizeof buf) != 0)
            why = buf;
        else if (!(why = check_descriptor(m, &foreign, buf, sizeof buf)) &&
                 !(why = rt_data_open(m, fd, file, data_path, image, buf, sizeof buf)) && fd >= 0)
            why = rt_wasm_read(m, fd, buf, sizeof buf);
    }
    if (fd >= 0) close(fd);
    if (why) {
        rt_fail(error, foreign ? WASMC_ERROR_NO_NATIVE : WASMC_ERROR_LOAD, 0, "%s: %s", path, why);
        if (m) rt_data_close(m);
        if (m) rt_wasm_free(m);
        if (m) rt_metadata_free(m);
        free(m);
        dlclose(handle);
        return NULL;
    }
    *d->runtime_slot = &rt_functions;
    snprintf(m->machine, sizeof m->machine, "%s", HOST_ARCH);
    m->refcount = 1;
    rt_fail(error, WASMC_OK, 0, "%s", "");
    return m;
}

/* The .so stays loaded while instances remain (an instance whose initialization trapped lives
 * until its store is deleted). */
void rt_module_retain(wasmc_module *m) { __atomic_fetch_add(&m->refcount, 1, __ATOMIC_RELAXED); }

void rt_module_release(wasmc_module *m) {
    if (__atomic_sub_fetch(&m->refcount, 1, __ATOMIC_ACQ_REL) != 0) return;
    rt_data_close(m);
    rt_wasm_free(m);
    rt_bundle_free(m);
    rt_metadata_free(m);
    if (m->handle) dlclose(m->handle);
    if (m->file_map) munmap((void *)m->file_map, (size_t)m->file_size);
    free(m);
}

void wasmc_module_unload(wasmc_module *m) {
    if (m) rt_module_release(m);
}

/* ---- introspection ------------------------------------------------------------------ */

const char *wasmc_module_target(const wasmc_module *m) { return m->target; }
const char *wasmc_module_cpu(const wasmc_module *m) { return m->cpu; }
const char *wasmc_module_cpu_features(const wasmc_module *m) { return m->features; }
const char *wasmc_module_wasm_hash(const wasmc_module *m) { return m->hash; }

uint32_t wasmc_module_linked_count(const wasmc_module *m) { return m->nlinked; }

const char *wasmc_module_linked(const wasmc_module *m, uint32_t index, const char **hash) {
    if (index >= m->nlinked) return NULL;
    if (hash) *hash = m->linked[index].hash;
    return m->linked[index].name;
}

const char *wasmc_module_function_name(const wasmc_module *m, uint32_t function) {
    uint32_t low = 0, high = m->nnames; /* the metadata parser checked that the indices increase */
    while (low < high) {
        uint32_t middle = low + (high - low) / 2;
        if (m->names[middle].func < function) low = middle + 1;
        else high = middle;
    }
    return low < m->nnames && m->names[low].func == function ? m->names[low].name : NULL;
}

uint32_t wasmc_module_function_count(const wasmc_module *m, uint32_t *imported) {
    if (imported) *imported = m->nimported[WASMC_EXTERN_FUNC];
    return m->nfuncs;
}

uint64_t *wasmc_module_profile_counts(const wasmc_module *m, uint32_t *count) {
    if (count) *count = m->desc ? (uint32_t)m->desc->profile_count_len : 0;
    return m->desc ? m->desc->profile_counts : NULL;
}

const char *wasmc_module_machine(const wasmc_module *m) { return m->machine; }

const uint8_t *wasmc_module_metadata(const wasmc_module *m, uint64_t *size) {
    if (size) *size = m->blob_size;
    return m->blob;
}
const char *wasmc_module_options(const wasmc_module *m) { return m->options; }
uint32_t wasmc_module_bounds_checks(const wasmc_module *m) { return m->bounds_mode; }

const char *wasmc_module_data(const wasmc_module *m, uint32_t *segments, uint64_t *bytes,
                              uint32_t *embedded_entries) {
    uint64_t total = 0;
    for (uint32_t i = 0; i < m->ndata; i++) total += m->data_sizes[i];
    if (segments) *segments = m->ndata;
    if (bytes) *bytes = total;
    if (embedded_entries) *embedded_entries = m->nfiles;
    return m->nbundle ? "" : m->data_file; /* a bundle's image is the bundle's own */
}
uint32_t wasmc_module_type_count(const wasmc_module *m) { return m->ntypes; }
uint32_t wasmc_module_import_count(const wasmc_module *m) { return m->nimports; }
uint32_t wasmc_module_export_count(const wasmc_module *m) { return m->nexports; }

void wasmc_module_type(const wasmc_module *m, uint32_t type_index, const uint8_t **params,
                       uint32_t *nparams, const uint8_t **results, uint32_t *nresults) {
    static const rt_functype none;
    const rt_functype *t = type_index < m->ntypes ? &m->types[type_index] : &none;
    if (params) *params = t->params;
    if (nparams) *nparams = t->nparams;
    if (results) *results = t->results;
    if (nresults) *nresults = t->nresults;
}

const char *wasmc_module_type_key(const wasmc_module *m, uint32_t type_index) {
    return type_index < m->ntypes ? m->types[type_index].key : NULL;
}

int64_t wasmc_module_type_of_signature(const wasmc_module *m, uint32_t signature_id) {
    for (uint32_t i = 0; i < m->ntypes; i++)
        if (m->types[i].id == signature_id) return i;
    return -1;
}

void wasmc_module_import(const wasmc_module *m, uint32_t index, wasmc_import_info *out) {
    memset(out, 0, sizeof *out);
    if (index >= m->nimports) return;
    const rt_import *im = &m->imports[index];
    *out = (wasmc_import_info){im->module, im->name, im->kind, im->type_index, im->value_kind,
                               im->mutable_, im->limits.has_max, im->limits.min, im->limits.max,
                               im->module_len, im->name_len, im->type_key, im->limits.is64};
}

void wasmc_module_entity(const wasmc_module *m, uint32_t kind, uint32_t index, wasmc_import_info *out) {
    memset(out, 0, sizeof *out);
    out->kind = kind;
    switch (kind) {
    case WASMC_EXTERN_FUNC:
        if (index < m->nfuncs) out->type_index = m->func_types[index];
        break;
    case WASMC_EXTERN_TABLE:
        if (index >= m->ntables) break;
        out->value_kind = m->tables[index].kind;
        out->type_key = m->tables[index].type_key;
        out->has_max = m->tables[index].limits.has_max;
        out->min = m->tables[index].limits.min;
        out->max = m->tables[index].limits.max;
        out->is64 = m->tables[index].limits.is64;
        break;
    case WASMC_EXTERN_MEMORY:
        if (index >= m->nmemories) break;
        out->has_max = m->memories[index].has_max;
        out->min = m->memories[index].min;
        out->max = m->memories[index].max;
        out->is64 = m->memories[index].is64;
        break;
    case WASMC_EXTERN_GLOBAL:
        if (index >= m->nglobals) break;
        out->value_kind = m->globals[index].kind;
        out->type_key = m->globals[index].type_key;
        out->mutable_ = m->globals[index].mutable_;
        break;
    case WASMC_EXTERN_TAG:
        if (index < m->ntags) out->type_index = m->tag_types[index];
        break;
    }
}

void wasmc_module_export(const wasmc_module *m, uint32_t index, wasmc_export_info *out) {
    memset(out, 0, sizeof *out);
    if (index >= m->nexports) return;
    *out = (wasmc_export_info){m->exports[index].name, m->exports[index].kind,
                               m->exports[index].index, m->exports[index].name_len};
}

/* ---- instantiation ------------------------------------------------------------------ */

static const char *kind_name(uint32_t kind) {
    static const char *const names[] = {"function", "table", "memory", "global", "tag"};
    return kind <= WASMC_EXTERN_TAG ? names[kind] : "unknown extern";
}

/* Import matching (spec 2.0, "external types" subtyping). Returns NULL or why it fails. */
static const char *match_import(const wasmc_module *m, const rt_import *im, const wasmc_extern *x,
                                char *buf, size_t len) {
    if (x->kind != im->kind) {
        snprintf(buf, len, "expected %s, got %s", kind_name(im->kind), kind_name(x->kind));
        return buf;
    }
    const rt_limits *l = &im->limits;
    switch (im->kind) {
    case WASMC_EXTERN_FUNC: {
        if (x->is_host ? !x->of.host : !x->of.func) return "null function";
        uint32_t id = x->is_host ? x->of.host->type_id : x->of.func->type_id;
        if (id != m->types[im->type_index].id) return "function type mismatch";
        if (x->is_host && (!m->desc->host_thunks || !m->desc->host_thunks[im->type_index]))
            return "module has no host thunk for this function type";
        return NULL;
    }
    case WASMC_EXTERN_TABLE: {
        const wasmc_table *t = x->of.table;
        if (!t) return "null table";
        /* Table types match exactly (a table is read and written: invariant). */
        if (!rt_value_type_matches(t->kind, t->type_key, im->value_kind, im->type_key, false))
            return "table element type mismatch";
        if (t->is64 != l->is64) return "table address type mismatch";
        if (t->size < l->min || (l->has_max && (!t->has_max || t->max > l->max)))
            return "table limits mismatch";
        return NULL;
    }
    case WASMC_EXTERN_MEMORY: {
        const wasmc_memory *mem = x->of.memory;
        if (!mem) return "null memory";
        if (mem->is64 != l->is64) return "memory address type mismatch";
        if (mem->size / WASMC_PAGE_SIZE < l->min ||
            (l->has_max && (!mem->has_max || mem->max_pages > l->max)))
            return "memory limits mismatch";
        return NULL;
    }
    case WASMC_EXTERN_TAG:
        if (!x->of.tag) return "null tag";
        /* Tag types match exactly (iso-recursive equality of function types, here the
         * canonical signature id). */
        if (x->of.tag->type_id != m->types[im->type_index].id) return "tag type mismatch";
        return NULL;
    default:
        if (!x->of.global.cell) return "null global";
        if (x->of.global.mutable_ != im->mutable_) return "global mutability mismatch";
        /* An immutable global may be of a subtype; a mutable one is of the type itself. */
        if (!rt_value_type_matches(x->of.global.kind, x->of.global.type_key, im->value_kind, im->type_key,
                                   !im->mutable_))
            return "global type mismatch";
        return NULL;
    }
}

/* Retains the live instance whose vmctx holds `p` (a funcref or global cell), if any. */
static void retain_owner(wasmc_instance *inst, const void *p) {
    pthread_mutex_lock(&live_lock);
    for (wasmc_instance *o = live; o; o = o->next_live) {
        if ((const uint8_t *)p < o->ctx || (const uint8_t *)p >= o->ctx + o->module->ctx_size)
            continue;
        uint32_t n = __atomic_load_n(&o->refcount, __ATOMIC_RELAXED);
        while (n && !__atomic_compare_exchange_n(&o->refcount, &n, n + 1, true, __ATOMIC_ACQ_REL,
                                                 __ATOMIC_RELAXED)) {
        }
        if (n) inst->owners[inst->nowners++] = o;
        break;
    }
    pthread_mutex_unlock(&live_lock);
}

static void instance_free(wasmc_instance *inst) {
    wasmc_module *m = inst->module;
    if (inst->ctx) {
        pthread_mutex_lock(&live_lock);
        if (inst->prev_live) inst->prev_live->next_live = inst->next_live;
        else live = inst->next_live;
        if (inst->next_live) inst->next_live->prev_live = inst->prev_live;
        pthread_mutex_unlock(&live_lock);
        for (uint32_t i = 0; i < m->ntables; i++) wasmc_table_release(inst->tables[i]);
        for (uint32_t i = 0; i < m->nmemories; i++) wasmc_memory_release(inst->memories[i]);
        for (uint32_t i = 0; i < m->ntags; i++) wasmc_tag_release(inst->tags[i]);
    }
    for (uint32_t i = 0; inst->hosts && i < m->nimports; i++) wasmc_host_func_release(inst->hosts[i]);
    for (uint32_t i = 0; i < inst->nowners; i++) rt_instance_release(inst->owners[i]);
    for (uint32_t i = 0; inst->elems && i < m->nelem; i++) free(inst->elems[i].items);
    free(inst->elems);
    free(inst->data);
    free(inst->hosts);
    free(inst->owners);
    free(inst->ctx);
    free(inst);
    rt_module_release(m);
}

void rt_instance_release(wasmc_instance *inst) {
    if (inst && __atomic_sub_fetch(&inst->refcount, 1, __ATOMIC_ACQ_REL) == 0) instance_free(inst);
}

void wasmc_instance_delete(wasmc_instance *inst) { rt_instance_release(inst); }

static void init_trampoline(void *desc, void *ctx, wasmc_value *io) {
    (void)io;
    ((const wasmc_module_descriptor *)desc)->init(ctx);
}

wasmc_instance *wasmc_instantiate(wasmc_store *store, wasmc_module *m,
                                  const wasmc_extern *imports, uint32_t nimports,
                                  wasmc_error *error) {
    char buf[256];
    if (!m->desc)
        return rt_fail(error, WASMC_ERROR_LOAD, 0, "the module was opened for inspection only");
    if (nimports != m->nimports || (nimports && !imports))
        return rt_fail(error, WASMC_ERROR_LINK, 0, "module needs %u imports, %u given",
                       m->nimports, nimports);
    for (uint32_t i = 0; i < nimports; i++) {
        const char *why = match_import(m, &m->imports[i], &imports[i], buf, sizeof buf);
        if (why)
            return rt_fail(error, WASMC_ERROR_LINK, 0, "incompatible import type for \"%s\".\"%s\": %s",
                           m->imports[i].module, m->imports[i].name, why);
        if (imports[i].kind == WASMC_EXTERN_MEMORY && !imports[i].of.memory->guarded &&
            m->bounds_mode == WASMC_BOUNDS_GUARD)
            return rt_fail(error, WASMC_ERROR_RESOURCE, 0,
                           "memory import \"%s\".\"%s\" has no guard region (address space is "
                           "limited) and the module was compiled for guard pages: recompile it "
                           "with explicit bounds checks",
                           m->imports[i].module, m->imports[i].name);
    }

    const wasmc_module_descriptor *d = m->desc;
    wasmc_instance *inst = calloc(1, sizeof *inst);
    size_t ctx_size = (size_t)(m->ctx_size + 15) / 16 * 16;
    uint8_t *ctx = inst ? aligned_alloc(16, ctx_size) : NULL;
    if (!ctx) {
        free(inst);
        return rt_fail(error, WASMC_ERROR_RESOURCE, 0, "out of memory for an instance");
    }
    memset(ctx, 0, ctx_size);
    __atomic_fetch_add(&m->refcount, 1, __ATOMIC_RELAXED);
    inst->module = m;
    inst->store = store;
    inst->ctx = ctx;
    inst->refcount = 1;
    inst->tables = (wasmc_table **)(ctx + m->off_tables);
    inst->memories = (wasmc_memory **)(ctx + m->off_memories);
    inst->tags = (wasmc_tag **)(ctx + m->off_tags);
    inst->data = calloc(m->ndata ? m->ndata : 1, sizeof *inst->data);
    inst->elems = calloc(m->nelem ? m->nelem : 1, sizeof *inst->elems);
    inst->hosts = calloc(nimports ? nimports : 1, sizeof *inst->hosts);
    inst->owners = calloc(nimports ? nimports : 1, sizeof *inst->owners);
    pthread_mutex_lock(&live_lock);
    inst->next_live = live;
    if (live) live->prev_live = inst;
    live = inst;
    pthread_mutex_unlock(&live_lock);
    if (!inst->data || !inst->elems || !inst->hosts || !inst->owners) {
        instance_free(inst);
        return rt_fail(error, WASMC_ERROR_RESOURCE, 0, "out of memory for an instance");
    }

    wasmc_vmctx_header *header = (wasmc_vmctx_header *)ctx;
    header->store = store;
    header->instance = inst;
    uint32_t *type_ids = (uint32_t *)(ctx + m->off_type_ids);
    for (uint32_t i = 0; i < m->ntypes; i++) type_ids[i] = m->types[i].id;
    wasmc_funcref *funcrefs = (wasmc_funcref *)(ctx + m->off_funcrefs);
    wasmc_value **global_ptrs = (wasmc_value **)(ctx + m->off_global_ptrs);
    wasmc_value *global_cells = (wasmc_value *)(ctx + m->off_global_cells);

    uint32_t next[5] = {0, 0, 0, 0, 0};
    for (uint32_t i = 0; i < nimports; i++) {
        const wasmc_extern *x = &imports[i];
        uint32_t k = next[x->kind]++;
        switch (x->kind) {
        case WASMC_EXTERN_FUNC:
            if (x->is_host) {
                uint32_t type = m->imports[i].type_index;
                rt_host_func_retain(x->of.host);
                inst->hosts[i] = x->of.host;
                funcrefs[k] = (wasmc_funcref){d->host_thunks[type], x->of.host,
                                              (rt_trampoline)d->trampolines[type],
                                              x->of.host->type_id, 0};
            } else {
                funcrefs[k] = *x->of.func;
                retain_owner(inst, x->of.func);
            }
            break;
        case WASMC_EXTERN_TABLE:
            rt_table_retain(x->of.table);
            inst->tables[k] = x->of.table;
            break;
        case WASMC_EXTERN_MEMORY:
            rt_memory_retain(x->of.memory);
            inst->memories[k] = x->of.memory;
            break;
        case WASMC_EXTERN_TAG:
            rt_tag_retain(x->of.tag);
            inst->tags[k] = x->of.tag;
            break;
        default:
            global_ptrs[k] = x->of.global.cell;
            retain_owner(inst, x->of.global.cell);
            break;
        }
    }
    for (uint32_t i = next[WASMC_EXTERN_FUNC]; i < m->nfuncs; i++) {
        uint32_t type = m->func_types[i];
        funcrefs[i] = (wasmc_funcref){d->functions[i - next[WASMC_EXTERN_FUNC]], ctx,
                                      (rt_trampoline)d->trampolines[type], m->types[type].id, 0};
    }
    for (uint32_t i = next[WASMC_EXTERN_TABLE]; i < m->ntables; i++) {
        const rt_tabletype *t = &m->tables[i];
        /* A 64-bit table may declare more than 2^32-1 entries; it grows at most that far. */
        bool beyond = t->limits.has_max && t->limits.max > UINT32_MAX;
        inst->tables[i] = t->limits.min > UINT32_MAX
            ? rt_fail(error, WASMC_ERROR_RESOURCE, 0, "a table of %llu entries: wasmc tables hold at most 2^32-1",
                      (unsigned long long)t->limits.min)
            : wasmc_table_new(t->kind, (uint32_t)t->limits.min, t->limits.has_max,
                              beyond ? UINT32_MAX : (uint32_t)t->limits.max, NULL, error);
        if (inst->tables[i]) inst->tables[i]->is64 = t->limits.is64;
        if (inst->tables[i] && t->type_key && !(inst->tables[i]->type_key = strdup(t->type_key))) {
            wasmc_table_release(inst->tables[i]);
            inst->tables[i] = rt_fail(error, WASMC_ERROR_RESOURCE, 0, "out of memory for an instance");
        }
        if (!inst->tables[i]) {
            instance_free(inst);
            return NULL;
        }
    }
    for (uint32_t i = next[WASMC_EXTERN_MEMORY]; i < m->nmemories; i++) {
        const rt_limits *l = &m->memories[i];
        /* A 64-bit memory may declare more than 4 GiB; it grows as far as a 32-bit one (its
         * growth stops at 65536 pages, which memory.grow may do), and must start within that. */
        bool beyond = l->is64 && l->has_max && l->max > WASMC_MAX_PAGES;
        wasmc_memory *mem = l->is64 && l->min > WASMC_MAX_PAGES
            ? rt_fail(error, WASMC_ERROR_RESOURCE, 0,
                      "a 64-bit memory of %llu pages: wasmc memories hold at most 65536 pages (4 GiB)",
                      (unsigned long long)l->min)
            : wasmc_memory_new((uint32_t)l->min, l->has_max, beyond ? WASMC_MAX_PAGES : (uint32_t)l->max, error);
        if (mem) mem->is64 = l->is64;
        inst->memories[i] = mem;
        if (!mem || (!mem->guarded && m->bounds_mode == WASMC_BOUNDS_GUARD)) {
            if (mem)
                rt_fail(error, WASMC_ERROR_RESOURCE, 0,
                        "cannot reserve %llu bytes of address space for a guarded memory (is "
                        "ulimit -v set?): recompile the module with explicit bounds checks",
                        (unsigned long long)WASMC_GUARD_RESERVATION);
            instance_free(inst);
            return NULL;
        }
    }
    for (uint32_t i = next[WASMC_EXTERN_GLOBAL]; i < m->nglobals; i++)
        global_ptrs[i] = &global_cells[i - next[WASMC_EXTERN_GLOBAL]];
    for (uint32_t i = next[WASMC_EXTERN_TAG]; i < m->ntags; i++) {
        const rt_functype *t = &m->types[m->tag_types[i]];
        inst->tags[i] = wasmc_tag_new(t->params, t->nparams);
        if (!inst->tags[i]) {
            instance_free(inst);
            return rt_fail(error, WASMC_ERROR_RESOURCE, 0, "out of memory for an instance");
        }
    }
    for (uint32_t i = 0; i < m->ndata; i++)
        inst->data[i] = (rt_data){m->data_image + m->data_offsets[i], m->data_sizes[i], m->data_fd,
                                  m->data_image_offset + m->data_offsets[i]};
    if (m->nmemories) {
        header->memory0 = inst->memories[0];
        header->memory0_base = inst->memories[0]->base;
    }

    uint32_t trap = WASMC_TRAP_NONE;
    if (d->init) trap = rt_protected_call(store, init_trampoline, (void *)d, ctx, NULL);
    if (!trap && m->start) {
        const wasmc_funcref *f = &funcrefs[m->start - 1];
        wasmc_value io[1];
        trap = rt_protected_call(store, f->trampoline, f->code, f->ctx, io);
    }
    if (trap) {
        rt_store *s = (rt_store *)store;
        inst->next_zombie = s->zombies;
        s->zombies = inst;
        if (trap == WASMC_EXCEPTION)
            return rt_fail(error, WASMC_ERROR_EXCEPTION, 0, "instantiation threw an exception");
        return rt_fail(error, WASMC_ERROR_TRAP, trap, "instantiation trapped: %s",
                       wasmc_trap_message(trap));
    }
    rt_fail(error, WASMC_OK, 0, "%s", "");
    return inst;
}

/* ---- exports ------------------------------------------------------------------------ */

typedef struct name_key {
    const char *name;
    uint32_t len;
} name_key;

static int cmp_name(const void *key, const void *e) {
    const name_key *k = key;
    const rt_export *x = e;
    return rt_name_cmp(k->name, k->len, x->name, x->name_len);
}

wasmc_module *wasmc_instance_module(const wasmc_instance *inst) { return inst->module; }

int wasmc_instance_export(const wasmc_instance *inst, const char *name, wasmc_extern *out) {
    return wasmc_instance_export_bytes(inst, name, strlen(name), out);
}

int wasmc_instance_export_bytes(const wasmc_instance *inst, const char *name, size_t len,
                                wasmc_extern *out) {
    const wasmc_module *m = inst->module;
    if (len > UINT32_MAX) return 0;
    name_key key = {name, (uint32_t)len};
    const rt_export *e = bsearch(&key, m->exports, m->nexports, sizeof *e, cmp_name);
    if (!e) return 0;
    memset(out, 0, sizeof *out);
    out->kind = e->kind;
    switch (e->kind) {
    case WASMC_EXTERN_FUNC: out->of.func = wasmc_instance_function(inst, e->index); break;
    case WASMC_EXTERN_TABLE: out->of.table = inst->tables[e->index]; break;
    case WASMC_EXTERN_MEMORY: out->of.memory = inst->memories[e->index]; break;
    case WASMC_EXTERN_TAG: out->of.tag = inst->tags[e->index]; break;
    default:
        out->of.global = (wasmc_global){((wasmc_value **)(inst->ctx + m->off_global_ptrs))[e->index],
                                        m->globals[e->index].kind, m->globals[e->index].mutable_,
                                        m->globals[e->index].type_key};
        break;
    }
    return 1;
}

const wasmc_funcref *wasmc_instance_function(const wasmc_instance *inst, uint32_t index) {
    if (index >= inst->module->nfuncs) return NULL;
    return (const wasmc_funcref *)(inst->ctx + inst->module->off_funcrefs) + index;
}

wasmc_tag *wasmc_instance_tag(const wasmc_instance *inst, uint32_t index) {
    return index < inst->module->ntags ? inst->tags[index] : NULL;
}

uint32_t wasmc_module_tag_count(const wasmc_module *m, uint32_t *imported) {
    if (imported) *imported = m->nimported[WASMC_EXTERN_TAG];
    return m->ntags;
}

uint32_t wasmc_module_tag_type(const wasmc_module *m, uint32_t index) {
    return index < m->ntags ? m->tag_types[index] : 0;
}
