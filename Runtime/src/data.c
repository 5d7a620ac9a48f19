/* data.c: the data image (format in wasmc_abi.h). A module's data segments are not part of its
 * code: their bytes sit in the .so's `.wasmc.data` section, which dlopen does not load, or in a
 * data file of their own. The loader maps the image read-only (nothing is read until touched)
 * and checks it against the metadata; memory.init, and with it instantiation's active segments,
 * maps the whole host pages of a segment into the linear memory copy-on-write, so that every
 * instance shares the file's pages in the page cache until it writes to them. */
#include "internal.h"

#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

/* ---- the hash ------------------------------------------------------------------------ */

#define H1 0x9e3779b185ebca87ull
#define H2 0xc2b2ae3d27d4eb4full
#define H3 0x165667b19e3779f9ull
#define H4 0x85ebca77c2b2ae63ull

static inline uint64_t rotl(uint64_t x, unsigned r) { return x << r | x >> (64 - r); }
static inline uint64_t mix(uint64_t acc, uint64_t word) { return rotl(acc + word * H2, 31) * H1; }
static inline uint64_t word_at(const uint8_t *p) {
    uint64_t w;
    memcpy(&w, p, 8); /* the hosts are little endian, as the image is */
    return w;
}

/* Four independent lanes over 32-byte blocks (so the loop runs at memory speed), folded
 * together with the length and the tail, then avalanched. The bytes may come in pieces of any
 * size (a segment as it arrives): a partial block waits in `pending`. */
void wasmc_data_hash_start(wasmc_data_hasher *s) {
    memset(s, 0, sizeof *s);
    s->lanes[0] = H1 + H2;
    s->lanes[1] = H2;
    s->lanes[3] = 0 - H1;
}

static void hash_blocks(wasmc_data_hasher *s, const uint8_t *p, uint64_t count) {
    uint64_t v0 = s->lanes[0], v1 = s->lanes[1], v2 = s->lanes[2], v3 = s->lanes[3];
    for (uint64_t i = 0; i < count; i += 32) {
        v0 = mix(v0, word_at(p + i));
        v1 = mix(v1, word_at(p + i + 8));
        v2 = mix(v2, word_at(p + i + 16));
        v3 = mix(v3, word_at(p + i + 24));
    }
    s->lanes[0] = v0, s->lanes[1] = v1, s->lanes[2] = v2, s->lanes[3] = v3;
}

void wasmc_data_hash_add(wasmc_data_hasher *s, const void *bytes, uint64_t length) {
    const uint8_t *p = bytes;
    s->length += length;
    if (s->npending) {
        uint64_t n = 32 - s->npending < length ? 32 - s->npending : length;
        memcpy(s->pending + s->npending, p, n);
        s->npending += (uint32_t)n, p += n, length -= n;
        if (s->npending < 32) return;
        hash_blocks(s, s->pending, 32);
        s->npending = 0;
    }
    uint64_t whole = length / 32 * 32;
    hash_blocks(s, p, whole);
    memcpy(s->pending, p + whole, length - whole);
    s->npending = (uint32_t)(length - whole);
}

uint64_t wasmc_data_hash_end(const wasmc_data_hasher *s) {
    uint64_t v0 = s->lanes[0], v1 = s->lanes[1], v2 = s->lanes[2], v3 = s->lanes[3];
    uint64_t h = rotl(v0, 1) + rotl(v1, 7) + rotl(v2, 12) + rotl(v3, 18);
    h = (h ^ mix(0, v0)) * H1 + H4;
    h = (h ^ mix(0, v1)) * H1 + H4;
    h = (h ^ mix(0, v2)) * H1 + H4;
    h = (h ^ mix(0, v3)) * H1 + H4;
    h += s->length;
    const uint8_t *p = s->pending;
    uint32_t i = 0;
    for (; i + 8 <= s->npending; i += 8) h = rotl(h ^ mix(0, word_at(p + i)), 27) * H1 + H4;
    for (; i < s->npending; i++) h = rotl(h ^ (p[i] * H3), 11) * H1;
    h ^= h >> 33;
    h *= H2;
    h ^= h >> 29;
    h *= H3;
    h ^= h >> 32;
    return h;
}

uint64_t wasmc_data_hash(const void *bytes, uint64_t length) {
    wasmc_data_hasher s;
    wasmc_data_hash_start(&s);
    wasmc_data_hash_add(&s, bytes, length);
    return wasmc_data_hash_end(&s);
}

/* ---- finding and checking the image -------------------------------------------------- */

static uint64_t page_size(void) {
    static uint64_t page;
    if (!page) page = (uint64_t)sysconf(_SC_PAGESIZE);
    return page;
}

/* The data file named by the metadata: beside the .so. */
static const char *beside(const char *so_path, const char *name, char *out, size_t len) {
    if (name[0] == '/') return name;
    const char *slash = strrchr(so_path, '/');
    int dir = slash ? (int)(slash - so_path) : 1;
    if ((size_t)snprintf(out, len, "%.*s/%s", dir, slash ? so_path : ".", name) >= len) return NULL;
    return out;
}

/* The (root, path) order of the embedded entries, a root's own path counting as "". */
static int compare_key(uint32_t root_a, const char *a, uint32_t alen, uint32_t root_b, const char *b, uint32_t blen) {
    if (root_a != root_b) return root_a < root_b ? -1 : 1;
    return rt_name_cmp(a, alen, b, blen);
}

static const char *key_path(const wasmc_module *m, uint32_t i, uint32_t *len) {
    if (m->files[i].kind == WASMC_DATA_ROOT) {
        *len = 0;
        return "";
    }
    return rt_embedded_path(m, i, len);
}

/* The embedded directories' entries: kinds, roots, ranges, order, and the metadata's hash. */
static const char *check_files(wasmc_module *m, wasmc_data_header h, const char *where, bool external,
                               char *buf, size_t len) {
    if (!h.nfiles) return NULL;
    const uint8_t *image = m->data_image;
    uint64_t first = sizeof h + (uint64_t)h.nsegments * sizeof(wasmc_data_entry);
    uint64_t end = first + (uint64_t)h.nfiles * sizeof(wasmc_data_entry);
    if (!(m->files = malloc((size_t)h.nfiles * sizeof *m->files))) return "out of memory";
    memcpy(m->files, image + first, (size_t)h.nfiles * sizeof *m->files);
    for (uint32_t i = 0; i < h.nfiles; i++) {
        const wasmc_data_entry *e = &m->files[i];
        uint64_t path_end = (uint64_t)e->path_offset + e->path_length;
        if (e->kind < WASMC_DATA_ROOT || e->kind > WASMC_DATA_FILE || path_end > h.size || e->path_offset < end ||
            e->root > i || m->files[e->root].kind != WASMC_DATA_ROOT || (e->kind == WASMC_DATA_ROOT && e->root != i) ||
            (e->kind == WASMC_DATA_FILE && (e->offset > h.size || e->length > h.size - e->offset)))
            return rt_format(buf, len, "embedded file entry %u in %s is corrupt", i, where);
        if (path_end > end) end = path_end;
        if (i > 0) {
            uint32_t alen, blen;
            const char *a = key_path(m, i - 1, &alen), *b = key_path(m, i, &blen);
            if (compare_key(m->files[i - 1].root, a, alen, e->root, b, blen) >= 0)
                return rt_format(buf, len, "embedded file entries in %s are out of order at %u", where, i);
        }
        if (external && e->kind == WASMC_DATA_FILE && wasmc_data_hash(image + e->offset, e->length) != e->hash) {
            uint32_t n;
            const char *path = rt_embedded_path(m, i, &n);
            return rt_format(buf, len, "embedded file %.*s in %s is altered (its bytes do not match its hash)", (int)n,
                       path, where);
        }
    }
    if (wasmc_data_hash(image + first, end - first) != m->files_hash)
        return rt_format(buf, len, "the embedded files in %s are not this module's (their hash differs)", where);
    return NULL;
}

const char *rt_embedded_path(const wasmc_module *m, uint32_t i, uint32_t *len) {
    *len = m->files[i].path_length;
    return (const char *)m->data_image + m->files[i].path_offset;
}

const uint8_t *rt_embedded_bytes(const wasmc_module *m, uint32_t i) { return m->data_image + m->files[i].offset; }

int64_t rt_embedded_find(const wasmc_module *m, uint32_t root, const char *path, size_t len) {
    if (len > UINT32_MAX) return -1;
    uint32_t low = 0, high = m->nfiles;
    while (low < high) {
        uint32_t middle = low + (high - low) / 2, n;
        const char *p = key_path(m, middle, &n);
        if (compare_key(m->files[middle].root, p, n, root, path, (uint32_t)len) < 0) low = middle + 1;
        else high = middle;
    }
    uint32_t n;
    if (low < m->nfiles) {
        const char *p = key_path(m, low, &n);
        if (compare_key(m->files[low].root, p, n, root, path, (uint32_t)len) == 0) return low;
    }
    return -1;
}

static const char *check_image(wasmc_module *m, const char *where, bool external, char *buf, size_t len) {
    const uint8_t *image = m->data_image;
    uint64_t size = m->data_image_size;
    wasmc_data_header h;
    if (size < sizeof h) return rt_format(buf, len, "%s is truncated (%llu bytes)", where, (unsigned long long)size);
    memcpy(&h, image, sizeof h);
    if (memcmp(h.magic, WASMC_DATA_MAGIC, sizeof h.magic) != 0) return rt_format(buf, len, "%s is not a wasmc data image", where);
    if (h.reserved) return rt_format(buf, len, "%s has a damaged header", where);
    if (h.version != WASMC_DATA_VERSION)
        return rt_format(buf, len, "%s has data image version %u, this runtime reads %u", where, h.version, WASMC_DATA_VERSION);
    if (h.size > size)
        return rt_format(buf, len, "%s is short: %llu bytes, its header says %llu", where, (unsigned long long)size,
                   (unsigned long long)h.size);
    if (h.nsegments != m->ndata)
        return rt_format(buf, len, "%s holds %u data segments, the module has %u", where, h.nsegments, m->ndata);
    if (h.nfiles != m->nfiles)
        return rt_format(buf, len, "%s holds %u embedded files, the module has %u", where, h.nfiles, m->nfiles);
    uint64_t table = sizeof h + ((uint64_t)h.nsegments + h.nfiles) * sizeof(wasmc_data_entry);
    if (table > h.size) return rt_format(buf, len, "%s is truncated in its segment table", where);
    for (uint32_t i = 0; i < m->ndata; i++) {
        wasmc_data_entry e;
        memcpy(&e, image + sizeof h + (uint64_t)i * sizeof e, sizeof e);
        if (e.kind != WASMC_DATA_SEGMENT || e.root || e.path_offset || e.path_length)
            return rt_format(buf, len, "data segment %u in %s is not a segment entry", i, where);
        if (e.offset > h.size || e.length > h.size - e.offset)
            return rt_format(buf, len, "data segment %u lies outside %s (bytes %llu..%llu of %llu)", i, where,
                       (unsigned long long)e.offset, (unsigned long long)(e.offset + e.length),
                       (unsigned long long)h.size);
        if (e.length != m->data_sizes[i])
            return rt_format(buf, len, "data segment %u is %llu bytes in %s, the module's is %llu bytes", i,
                       (unsigned long long)e.length, where, (unsigned long long)m->data_sizes[i]);
        if (e.hash != m->data_hashes[i])
            return rt_format(buf, len, "data segment %u in %s is not this module's (its hash differs)", i, where);
        /* A data file travels apart from the .so: check its bytes too. */
        if (external && wasmc_data_hash(image + e.offset, e.length) != e.hash)
            return rt_format(buf, len, "data segment %u in %s is altered (its bytes do not match its hash)", i, where);
        m->data_offsets[i] = e.offset;
    }
    const char *why = check_files(m, h, where, external, buf, len);
    if (external) madvise((void *)image, (size_t)size, MADV_DONTNEED); /* the hashing touched it all */
    return why;
}

const char *rt_data_open(wasmc_module *m, int so_fd, const char *so_path, const char *data_path,
                         const rt_data_source *source, char *buf, size_t len) {
    m->data_fd = -1;
    if (m->ndata == 0 && m->nfiles == 0) return NULL;
    char local[PATH_MAX];
    const char *file = source ? NULL : data_path;
    if (!source && !file && m->data_file[0] && !(file = beside(so_path, m->data_file, local, sizeof local)))
        return "the data file's path is too long";
    uint64_t offset = 0, size = 0;
    char where[PATH_MAX + 32];
    if (source) {
        /* A bundle's image, in the bundle beside the code: checked as a .so's own section. */
        snprintf(where, sizeof where, "%s", source->where);
        offset = source->offset;
        size = source->size;
        if (offset % page_size() != 0)
            return rt_format(buf, len, "%s is not page-aligned (offset %llu)", where, (unsigned long long)offset);
        m->data_fd = dup(source->fd);
        if (m->data_fd < 0) return rt_format(buf, len, "cannot keep the bundle open: %s", strerror(errno));
        (void)fcntl(m->data_fd, F_SETFD, FD_CLOEXEC);
    } else if (file) {
        snprintf(where, sizeof where, "data file %s", file);
        m->data_fd = open(file, O_RDONLY | O_CLOEXEC);
        struct stat st;
        if (m->data_fd < 0 || fstat(m->data_fd, &st) != 0)
            return rt_format(buf, len, "cannot open the data file %s: %s", file, strerror(errno));
        size = (uint64_t)st.st_size;
    } else {
        snprintf(where, sizeof where, "the %s section", WASMC_DATA_SECTION);
        if (rt_elf_section(so_fd, WASMC_DATA_SECTION, &offset, &size) != 0)
            return rt_format(buf, len, "has %u data segments and %u embedded files but no %s section", m->ndata, m->nfiles,
                       WASMC_DATA_SECTION);
        if (offset % page_size() != 0)
            return rt_format(buf, len, "its %s section is not page-aligned (offset %llu)", WASMC_DATA_SECTION,
                       (unsigned long long)offset);
        m->data_fd = dup(so_fd);
        if (m->data_fd < 0) return rt_format(buf, len, "cannot keep the .so open: %s", strerror(errno));
        (void)fcntl(m->data_fd, F_SETFD, FD_CLOEXEC);
    }
    if (size < sizeof(wasmc_data_header))
        return rt_format(buf, len, "%s is truncated (%llu bytes)", where, (unsigned long long)size);
    void *image = mmap(NULL, (size_t)size, PROT_READ, MAP_PRIVATE, m->data_fd, (off_t)offset);
    if (image == MAP_FAILED) return rt_format(buf, len, "cannot map %s: %s", where, strerror(errno));
    m->data_image = image;
    m->data_image_size = size;
    m->data_image_offset = offset;
    m->data_offsets = calloc(m->ndata ? m->ndata : 1, sizeof *m->data_offsets);
    if (!m->data_offsets) return "out of memory";
    return check_image(m, where, file != NULL, buf, len);
}

void rt_data_close(wasmc_module *m) {
    if (m->data_image) munmap((void *)m->data_image, (size_t)m->data_image_size);
    if (m->data_fd >= 0) close(m->data_fd);
    free(m->data_offsets);
    free(m->files);
    m->files = NULL;
    m->data_image = NULL;
    m->data_fd = -1;
    m->data_offsets = NULL;
}

/* ---- copying by mapping ------------------------------------------------------------- */

void rt_data_copy(uint8_t *dst, const rt_data *seg, uint64_t src, uint64_t n) {
    const uint8_t *from = seg->bytes + src;
    uint64_t page = page_size();
    uintptr_t start = (uintptr_t)dst, end = start + n;
    uint64_t file = seg->file_offset + src;
    /* The pages lie at the same offsets modulo the page size in the file and in the memory:
     * map the whole ones, copy the partial ones at the edges. */
    if (seg->fd >= 0 && n >= 2 * page && start % page == file % page) {
        uintptr_t first = (start + page - 1) / page * page, last = end / page * page;
        void *at = mmap((void *)first, last - first, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_FIXED, seg->fd,
                        (off_t)(file + (first - start)));
        if (at != MAP_FAILED) {
            memcpy(dst, from, first - start);
            memcpy((void *)last, from + (last - start), end - last);
            return;
        }
        /* A failed MAP_FIXED may have unmapped the range already: make it memory again, to be
         * copied into below. */
        mmap((void *)first, last - first, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
    }
    memcpy(dst, from, n);
}
