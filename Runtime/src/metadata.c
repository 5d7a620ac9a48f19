/* metadata.c: parses the metadata blob (format in wasmc_abi.h) into struct wasmc_module.
 * Every read is bounds-checked, every count is checked against the bytes left before anything
 * is allocated, and indices, kinds and the vmctx layout are validated: a corrupt blob is a load
 * error, never a crash. */
#include "internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct reader {
    const uint8_t *start, *p, *end;
    char *arena; /* string storage, at least as large as the blob */
    char *err;
    size_t errlen;
    bool failed;
} reader;

__attribute__((format(printf, 2, 3))) static void fail(reader *r, const char *fmt, ...) {
    if (r->failed) return;
    r->failed = true;
    int n = snprintf(r->err, r->errlen, "corrupt metadata at offset %zu: ",
                     (size_t)(r->p - r->start));
    if (n < 0 || (size_t)n >= r->errlen) return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(r->err + n, r->errlen - (size_t)n, fmt, ap);
    va_end(ap);
}

static uint64_t rd_u64(reader *r) {
    uint64_t value = 0;
    for (unsigned shift = 0; !r->failed; shift += 7) {
        if (r->p >= r->end) {
            fail(r, "truncated");
            break;
        }
        uint8_t byte = *r->p++;
        if (shift == 63 && (byte & 0x7e)) {
            fail(r, "number too large");
            break;
        }
        value |= (uint64_t)(byte & 0x7f) << shift;
        if (!(byte & 0x80)) return value;
        if (shift == 63) {
            fail(r, "number too long");
            break;
        }
    }
    return 0;
}

static uint32_t rd_u32(reader *r) {
    uint64_t v = rd_u64(r);
    if (v > UINT32_MAX) fail(r, "number %llu out of range", (unsigned long long)v);
    return r->failed ? 0 : (uint32_t)v;
}

static uint8_t rd_b(reader *r) {
    if (r->failed) return 0;
    if (r->p >= r->end) {
        fail(r, "truncated");
        return 0;
    }
    return *r->p++;
}

/* A count of items taking at least `min_bytes` each: bounded by what is left. */
static uint32_t rd_count(reader *r, unsigned min_bytes, const char *what) {
    uint32_t n = rd_u32(r);
    if (!r->failed && (uint64_t)n * min_bytes > (uint64_t)(r->end - r->p))
        fail(r, "%u %s do not fit in the blob", n, what);
    return r->failed ? 0 : n;
}

/* A string, NUL-terminated in the arena; its byte length (it may contain NULs) to *out_len. */
static const char *rd_sn(reader *r, uint32_t *out_len) {
    uint64_t len = rd_u64(r);
    if (!r->failed && len > UINT32_MAX) fail(r, "string too long");
    if (out_len) *out_len = r->failed ? 0 : (uint32_t)len;
    if (!r->failed && len > (uint64_t)(r->end - r->p)) fail(r, "string runs past the end");
    if (r->failed) return "";
    char *s = r->arena;
    memcpy(s, r->p, (size_t)len);
    s[len] = 0;
    r->arena += len + 1;
    r->p += len;
    return s;
}

static const char *rd_s(reader *r) { return rd_sn(r, NULL); }

/* Byte-string order: memcmp over the common length, then the shorter first. */
int rt_name_cmp(const char *a, uint32_t alen, const char *b, uint32_t blen) {
    int c = memcmp(a, b, alen < blen ? alen : blen);
    return c != 0 ? c : (alen > blen) - (alen < blen);
}

static uint8_t rd_kind(reader *r, bool ref_only) {
    uint8_t k = rd_b(r);
    if (k > WASMC_EXNREF || (ref_only && k < WASMC_FUNCREF)) fail(r, "invalid kind %u", k);
    return k;
}

/* A type key: NULL when empty. */
static const char *rd_key(reader *r) {
    uint32_t len;
    const char *key = rd_sn(r, &len);
    return len ? key : NULL;
}

static bool rd_flag(reader *r) {
    uint8_t b = rd_b(r);
    if (b > 1) fail(r, "invalid flag %u", b);
    return b;
}

/* Limits of a memory or table: u min, flags (bit 0: a max follows; bit 1: 64-bit addresses
 * (memory64), whose bound is then `bound64`), u max. */
static rt_limits rd_limits(reader *r, uint64_t bound, uint64_t bound64) {
    rt_limits l = {0, 0, 0, 0};
    l.min = rd_u64(r);
    uint8_t flags = rd_b(r);
    if (!r->failed && flags > 3) fail(r, "invalid limits flags %u", flags);
    l.has_max = flags & 1;
    l.is64 = (flags >> 1) & 1;
    if (l.is64) bound = bound64;
    if (l.has_max) l.max = rd_u64(r);
    if (!r->failed && (l.min > bound || l.max > bound || (l.has_max && l.min > l.max)))
        fail(r, "invalid limits");
    return l;
}

static rt_limits rd_memory_limits(reader *r) { return rd_limits(r, WASMC_MAX_PAGES, 1ull << 48); }
static rt_limits rd_table_limits(reader *r) { return rd_limits(r, UINT32_MAX, UINT64_MAX); }

static uint32_t rd_index(reader *r, uint32_t count, const char *what) {
    uint32_t i = rd_u32(r);
    if (!r->failed && i >= count) fail(r, "%s index %u out of range (%u)", what, i, count);
    return i;
}

/* calloc that never returns NULL for n == 0, so that "allocation failed" is unambiguous. */
static void *alloc(reader *r, uint32_t n, size_t size) {
    if (r->failed) return NULL;
    void *p = calloc(n ? n : 1, size);
    if (!p) fail(r, "out of memory");
    return p;
}

static bool same_limits(rt_limits a, rt_limits b) {
    return a.min == b.min && a.has_max == b.has_max && a.max == b.max && a.is64 == b.is64;
}

static bool same_key(const char *a, const char *b) {
    return a == b || (a && b && strcmp(a, b) == 0);
}

static int cmp_export(const void *a, const void *b) {
    const rt_export *x = a, *y = b;
    return rt_name_cmp(x->name, x->name_len, y->name, y->name_len);
}

static void check_layout(reader *r, wasmc_module *m) {
    struct { uint64_t off, size, align; } regions[] = {
        {m->off_type_ids, 4ull * m->ntypes, 4},
        {m->off_funcrefs, (uint64_t)sizeof(wasmc_funcref) * m->nfuncs, 8},
        {m->off_tables, 8ull * m->ntables, 8},
        {m->off_memories, 8ull * m->nmemories, 8},
        {m->off_global_ptrs, 8ull * m->nglobals, 8},
        {m->off_global_cells, 16ull * (m->nglobals - m->nimported[WASMC_EXTERN_GLOBAL]), 16},
        {m->off_tags, 8ull * m->ntags, 8},
    };
    const size_t n = sizeof regions / sizeof regions[0];
    if (m->ctx_size > (1ull << 32)) fail(r, "ctx_size %llu too large", (unsigned long long)m->ctx_size);
    for (size_t i = 0; i < n && !r->failed; i++) {
        if (regions[i].off % regions[i].align || regions[i].off < sizeof(wasmc_vmctx_header) ||
            regions[i].off > m->ctx_size || regions[i].size > m->ctx_size - regions[i].off)
            fail(r, "vmctx region %zu misplaced", i);
        for (size_t j = 0; j < i && !r->failed; j++)
            if (regions[i].size && regions[j].size && regions[i].off < regions[j].off + regions[j].size &&
                regions[j].off < regions[i].off + regions[i].size)
                fail(r, "vmctx regions %zu and %zu overlap", j, i);
    }
}

int rt_metadata_parse(wasmc_module *m, const uint8_t *blob, uint64_t size, char *err,
                      size_t errlen) {
    reader rd = {blob, blob, blob + size, NULL, err, errlen, false}, *r = &rd;
    m->blob = blob;
    m->blob_size = size;
    m->strings = rd.arena = malloc((size_t)size + 1);
    if (!m->strings) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    uint32_t abi = rd_u32(r);
    if (!r->failed && abi != WASMC_ABI_VERSION)
        fail(r, "ABI version %u (expects %u)", abi, WASMC_ABI_VERSION);
    m->target = rd_s(r);
    m->cpu = rd_s(r);
    m->features = rd_s(r);
    m->options = rd_s(r);
    m->hash = rd_s(r);
    m->bounds_mode = rd_u32(r);
    if (m->bounds_mode > WASMC_BOUNDS_EXPLICIT) fail(r, "invalid bounds mode");
    uint64_t *offsets[] = {&m->ctx_size, &m->off_type_ids, &m->off_funcrefs, &m->off_tables,
                           &m->off_memories, &m->off_global_ptrs, &m->off_global_cells,
                           &m->off_tags};
    for (size_t i = 0; i < sizeof offsets / sizeof offsets[0]; i++) *offsets[i] = rd_u64(r);

    m->ntypes = rd_count(r, 2, "types");
    m->types = alloc(r, m->ntypes, sizeof *m->types);
    for (uint32_t i = 0; i < m->ntypes && !r->failed; i++) {
        rt_functype *t = &m->types[i];
        for (int side = 0; side < 2; side++) {
            uint32_t n = rd_count(r, 1, "value kinds");
            const uint8_t *kinds = r->p;
            for (uint32_t k = 0; k < n; k++) rd_kind(r, false);
            if (side == 0) t->params = kinds, t->nparams = n;
            else t->results = kinds, t->nresults = n;
        }
        uint32_t key_len;
        const char *key = rd_sn(r, &key_len);
        t->key = key_len ? key : NULL;
        if (!r->failed)
            t->id = key_len ? rt_type_key_id(key, key_len)
                            : wasmc_signature_id(t->params, t->nparams, t->results, t->nresults);
    }

    m->nimports = rd_count(r, 4, "imports");
    m->imports = alloc(r, m->nimports, sizeof *m->imports);
    for (uint32_t i = 0; i < m->nimports && !r->failed; i++) {
        rt_import *im = &m->imports[i];
        im->module = rd_sn(r, &im->module_len);
        im->name = rd_sn(r, &im->name_len);
        im->kind = rd_b(r);
        switch (im->kind) {
        case WASMC_EXTERN_FUNC: im->type_index = rd_index(r, m->ntypes, "type"); break;
        case WASMC_EXTERN_TABLE:
            im->value_kind = rd_kind(r, true);
            im->type_key = rd_key(r);
            im->limits = rd_table_limits(r);
            break;
        case WASMC_EXTERN_MEMORY: im->limits = rd_memory_limits(r); break;
        case WASMC_EXTERN_GLOBAL:
            im->value_kind = rd_kind(r, false);
            im->type_key = rd_key(r);
            im->mutable_ = rd_flag(r);
            break;
        case WASMC_EXTERN_TAG: im->type_index = rd_index(r, m->ntypes, "type"); break;
        default: fail(r, "invalid import kind %u", im->kind);
        }
        if (!r->failed) m->nimported[im->kind]++;
    }

    m->nfuncs = rd_count(r, 1, "functions");
    m->func_types = alloc(r, m->nfuncs, sizeof *m->func_types);
    for (uint32_t i = 0; i < m->nfuncs && !r->failed; i++)
        m->func_types[i] = rd_index(r, m->ntypes, "type");
    m->ntables = rd_count(r, 3, "tables");
    m->tables = alloc(r, m->ntables, sizeof *m->tables);
    for (uint32_t i = 0; i < m->ntables && !r->failed; i++) {
        m->tables[i].kind = rd_kind(r, true);
        m->tables[i].type_key = rd_key(r);
        m->tables[i].limits = rd_table_limits(r);
    }
    m->nmemories = rd_count(r, 2, "memories");
    m->memories = alloc(r, m->nmemories, sizeof *m->memories);
    for (uint32_t i = 0; i < m->nmemories && !r->failed; i++)
        m->memories[i] = rd_memory_limits(r);
    m->nglobals = rd_count(r, 2, "globals");
    m->globals = alloc(r, m->nglobals, sizeof *m->globals);
    for (uint32_t i = 0; i < m->nglobals && !r->failed; i++) {
        m->globals[i].kind = rd_kind(r, false);
        m->globals[i].type_key = rd_key(r);
        m->globals[i].mutable_ = rd_flag(r);
    }
    m->ntags = rd_count(r, 1, "tags");
    m->tag_types = alloc(r, m->ntags, sizeof *m->tag_types);
    for (uint32_t i = 0; i < m->ntags && !r->failed; i++) {
        m->tag_types[i] = rd_index(r, m->ntypes, "type");
        if (!r->failed && m->types[m->tag_types[i]].nresults) fail(r, "tag %u has results", i);
    }

    /* Imports come first in each index space and must agree with it. */
    uint32_t seen[5] = {0, 0, 0, 0, 0};
    const uint32_t counts[5] = {m->nfuncs, m->ntables, m->nmemories, m->nglobals, m->ntags};
    for (uint32_t i = 0; i < m->nimports && !r->failed; i++) {
        const rt_import *im = &m->imports[i];
        uint32_t k = seen[im->kind]++;
        if (k >= counts[im->kind]) fail(r, "import %u has no entry in its index space", i);
        else if ((im->kind == WASMC_EXTERN_FUNC && m->func_types[k] != im->type_index) ||
                 (im->kind == WASMC_EXTERN_TABLE &&
                  (m->tables[k].kind != im->value_kind || !same_key(m->tables[k].type_key, im->type_key) ||
                   !same_limits(m->tables[k].limits, im->limits))) ||
                 (im->kind == WASMC_EXTERN_MEMORY && !same_limits(m->memories[k], im->limits)) ||
                 (im->kind == WASMC_EXTERN_GLOBAL &&
                  (m->globals[k].kind != im->value_kind || !same_key(m->globals[k].type_key, im->type_key) ||
                   m->globals[k].mutable_ != im->mutable_)) ||
                 (im->kind == WASMC_EXTERN_TAG && m->tag_types[k] != im->type_index))
            fail(r, "import %u disagrees with its index space entry", i);
    }

    m->nexports = rd_count(r, 3, "exports");
    m->exports = alloc(r, m->nexports, sizeof *m->exports);
    for (uint32_t i = 0; i < m->nexports && !r->failed; i++) {
        rt_export *e = &m->exports[i];
        e->name = rd_sn(r, &e->name_len);
        e->kind = rd_b(r);
        if (e->kind > WASMC_EXTERN_TAG) fail(r, "invalid export kind %u", e->kind);
        else e->index = rd_index(r, counts[e->kind], "export");
    }
    if (!r->failed) {
        qsort(m->exports, m->nexports, sizeof *m->exports, cmp_export);
        for (uint32_t i = 1; i < m->nexports && !r->failed; i++)
            if (rt_name_cmp(m->exports[i - 1].name, m->exports[i - 1].name_len, m->exports[i].name,
                            m->exports[i].name_len) == 0)
                fail(r, "duplicate export \"%s\"", m->exports[i].name);
    }

    m->start = rd_u32(r);
    if (!r->failed && m->start) {
        if (m->start > m->nfuncs) fail(r, "start function out of range");
        else if (m->types[m->func_types[m->start - 1]].nparams ||
                 m->types[m->func_types[m->start - 1]].nresults)
            fail(r, "start function must have type [] -> []");
    }
    m->data_file = rd_s(r);
    m->ndata = rd_count(r, 2, "data segments");
    m->data_sizes = alloc(r, m->ndata, sizeof *m->data_sizes);
    m->data_hashes = alloc(r, m->ndata, sizeof *m->data_hashes);
    for (uint32_t i = 0; i < m->ndata && !r->failed; i++) {
        m->data_sizes[i] = rd_u32(r);
        m->data_hashes[i] = rd_u64(r);
    }
    m->nfiles = rd_u32(r);
    m->files_hash = rd_u64(r);
    m->nelem = rd_count(r, 1, "element segments");
    m->elem_kinds = alloc(r, m->nelem, 1);
    for (uint32_t i = 0; i < m->nelem && !r->failed; i++) m->elem_kinds[i] = rd_kind(r, true);
    m->nnames = rd_count(r, 2, "names");
    m->names = alloc(r, m->nnames, sizeof *m->names);
    for (uint32_t i = 0; i < m->nnames && !r->failed; i++) {
        m->names[i].func = rd_index(r, m->nfuncs, "function");
        m->names[i].name = rd_s(r);
        if (!r->failed && i > 0 && m->names[i].func <= m->names[i - 1].func)
            fail(r, "function names out of order (function %u after %u)", m->names[i].func, m->names[i - 1].func);
    }
    m->nlinked = rd_count(r, 2, "linked modules");
    m->linked = alloc(r, m->nlinked, sizeof *m->linked);
    for (uint32_t i = 0; i < m->nlinked && !r->failed; i++) {
        m->linked[i].name = rd_s(r);
        m->linked[i].hash = rd_s(r);
    }
    if (!r->failed && r->p != r->end) fail(r, "%zu trailing bytes", (size_t)(r->end - r->p));
    if (!r->failed) check_layout(r, m);
    return r->failed ? -1 : 0;
}

void rt_metadata_free(wasmc_module *m) {
    free(m->strings);
    free(m->types);
    free(m->imports);
    free(m->func_types);
    free(m->tables);
    free(m->memories);
    free(m->globals);
    free(m->tag_types);
    free(m->exports);
    free(m->data_sizes);
    free(m->data_hashes);
    free(m->elem_kinds);
    free(m->names);
    free(m->linked);
}
