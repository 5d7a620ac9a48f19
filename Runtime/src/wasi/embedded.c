/* embedded.c: the directories a module carries in its data image (`wasmc compile --embed-dir`),
 * as read-only preopens. Their files are read straight from the image's mapping into guest
 * memory: nothing is copied to the host heap and no page is read before the guest reads it.
 * An fd of theirs has host WASI_EMBEDDED and only reading rights (WASI_RIGHTS_EMBEDDED_*), so
 * every function that would write, or needs a host fd, stops at the rights check; the others
 * branch here. Paths resolve as on the host: `..` may not climb above the directory they start
 * from, absolute paths are not capable. */
#include "wasi_internal.h"

#include <stdlib.h>
#include <sys/uio.h>

/* The device number embedded files report ("wasm"). */
#define EMBEDDED_DEVICE 0x7761736du

static const wasmc_data_entry *entry(const wasmc_wasi *w, uint32_t node) { return &w->embedded->files[node]; }

static uint8_t filetype(const wasmc_data_entry *e) {
    return e->kind == WASMC_DATA_FILE ? WASI_FILETYPE_REGULAR_FILE : WASI_FILETYPE_DIRECTORY;
}

uint16_t wasi_embedded_preopen(wasmc_wasi *w) {
    const wasmc_module *m = w->embedded;
    for (uint32_t i = 0; i < m->nfiles; i++) {
        if (m->files[i].kind != WASMC_DATA_ROOT) continue;
        uint32_t fd, len;
        const char *name = rt_embedded_path(m, i, &len);
        uint16_t e = wasi_install(w, WASI_EMBEDDED, WASI_FILETYPE_DIRECTORY, WASI_RIGHTS_EMBEDDED_DIR,
                                  WASI_RIGHTS_EMBEDDED_INHERITING, &fd);
        if (e) return e;
        w->fds[fd].node = i;
        if (!(w->fds[fd].preopen = strndup(name, len))) return WASI_ENOMEM;
    }
    return 0;
}

/* ---- files ----------------------------------------------------------------------------- */

uint16_t wasi_embedded_transfer(wasmc_wasi *w, wasi_fd *f, const struct iovec *iov, uint32_t n,
                                bool positioned, uint64_t offset, uint32_t *done) {
    const wasmc_data_entry *e = entry(w, f->node);
    if (e->kind != WASMC_DATA_FILE) return WASI_EISDIR;
    uint64_t at = positioned ? offset : f->position, moved = 0;
    const uint8_t *bytes = rt_embedded_bytes(w->embedded, f->node);
    for (uint32_t i = 0; i < n && at < e->length; i++) {
        uint64_t chunk = e->length - at < iov[i].iov_len ? e->length - at : iov[i].iov_len;
        if (moved + chunk > UINT32_MAX) chunk = UINT32_MAX - moved; /* the result is a u32 */
        memcpy(iov[i].iov_base, bytes + at, (size_t)chunk);
        at += chunk;
        moved += chunk;
    }
    if (!positioned) f->position = at > f->position ? at : f->position;
    *done = (uint32_t)moved;
    return 0;
}

uint64_t wasi_embedded_readable(const wasmc_wasi *w, const wasi_fd *f) {
    const wasmc_data_entry *e = entry(w, f->node);
    return e->kind == WASMC_DATA_FILE && e->length > f->position ? e->length - f->position : 0;
}

uint16_t wasi_embedded_seek(wasi_fd *f, const wasmc_wasi *w, int64_t offset, uint32_t whence, uint64_t *at) {
    const wasmc_data_entry *e = entry(w, f->node);
    if (e->kind != WASMC_DATA_FILE) return WASI_EBADF; /* lseek on a directory stream: not ours */
    int64_t from = whence == 0 ? 0 : whence == 1 ? (int64_t)f->position : (int64_t)e->length;
    if ((offset > 0 && from > INT64_MAX - offset) || from + offset < 0) return WASI_EINVAL;
    f->position = (uint64_t)(from + offset);
    *at = f->position;
    return 0;
}

uint16_t wasi_embedded_filestat(wasmc_wasi *w, uint32_t node, uint32_t ptr) {
    uint8_t *p = wasi_mem(w, ptr, 64);
    if (!p) return WASI_EFAULT;
    const wasmc_data_entry *e = entry(w, node);
    memset(p, 0, 64);
    wasi_store64(p + 0, EMBEDDED_DEVICE);
    wasi_store64(p + 8, node + 1u);
    p[16] = filetype(e);
    wasi_store64(p + 24, 1);
    wasi_store64(p + 32, e->kind == WASMC_DATA_FILE ? e->length : 0);
    return 0; /* times: 0, the files have none of their own */
}

/* ---- directories ----------------------------------------------------------------------- */

/* The path of `node` relative to its root, into out: its length, or -1 if it does not fit. */
static int64_t relative_path(const wasmc_wasi *w, uint32_t node, char *out, size_t room) {
    if (entry(w, node)->kind == WASMC_DATA_ROOT) return 0;
    uint32_t len;
    const char *path = rt_embedded_path(w->embedded, node, &len);
    if (len >= room) return -1;
    memcpy(out, path, len);
    return len;
}

uint16_t wasi_embedded_resolve(const wasmc_wasi *w, const wasi_fd *dir, const char *path, size_t len,
                               uint32_t *node) {
    if (len == 0) return WASI_ENOENT;
    if (path[0] == '/') return WASI_ENOTCAPABLE;
    if (memchr(path, 0, len)) return WASI_EINVAL;
    uint32_t root = entry(w, dir->node)->root;
    char buf[4096];
    int64_t start = relative_path(w, dir->node, buf, sizeof buf);
    if (start < 0) return WASI_ENAMETOOLONG;
    size_t at = (size_t)start, floor = at; /* `..` may not climb below `floor` */
    uint32_t current = dir->node;
    for (size_t i = 0; i < len;) {
        size_t j = i;
        while (j < len && path[j] != '/') j++;
        size_t n = j - i;
        const char *component = path + i;
        i = j + 1;
        if (n == 0 || (n == 1 && component[0] == '.')) {
            if (entry(w, current)->kind == WASMC_DATA_FILE) return WASI_ENOTDIR;
            continue;
        }
        if (entry(w, current)->kind == WASMC_DATA_FILE) return WASI_ENOTDIR;
        if (n == 2 && component[0] == '.' && component[1] == '.') {
            if (at == floor) return WASI_ENOTCAPABLE;
            while (at > 0 && buf[at - 1] != '/') at--;
            if (at > 0) at--; /* the slash before the last component */
        } else {
            if (at + (at ? 1 : 0) + n >= sizeof buf) return WASI_ENAMETOOLONG;
            if (at) buf[at++] = '/';
            memcpy(buf + at, component, n);
            at += n;
        }
        int64_t found = rt_embedded_find(w->embedded, root, buf, at);
        if (found < 0) return WASI_ENOENT;
        current = (uint32_t)found;
    }
    /* A trailing slash names a directory. */
    if (path[len - 1] == '/' && entry(w, current)->kind == WASMC_DATA_FILE) return WASI_ENOTDIR;
    *node = current;
    return 0;
}

uint16_t wasi_embedded_open(wasmc_wasi *w, const wasi_fd *dir, uint32_t node, uint32_t oflags, uint64_t base,
                            uint64_t inheriting, uint32_t *fd) {
    (void)dir;
    const wasmc_data_entry *e = entry(w, node);
    if ((oflags & WASI_O_EXCL) && (oflags & WASI_O_CREAT)) return WASI_EEXIST;
    if (oflags & (WASI_O_CREAT | WASI_O_TRUNC)) return WASI_EROFS;
    if ((oflags & WASI_O_DIRECTORY) && e->kind == WASMC_DATA_FILE) return WASI_ENOTDIR;
    uint8_t type = filetype(e);
    if (base & WASI_RIGHTS_EMBEDDED_WRITES) return type == WASI_FILETYPE_DIRECTORY ? WASI_EISDIR : WASI_EROFS;
    base &= type == WASI_FILETYPE_DIRECTORY ? WASI_RIGHTS_EMBEDDED_DIR : WASI_RIGHTS_EMBEDDED_FILE;
    inheriting &= WASI_RIGHTS_EMBEDDED_INHERITING;
    uint16_t err = wasi_install(w, WASI_EMBEDDED, type, base, inheriting, fd);
    if (!err) w->fds[*fd].node = node;
    return err;
}

/* Entries: ".", "..", then the directory's children in the image's order; an entry's d_next
 * cookie is its number + 1, as for host directories. */
uint16_t wasi_embedded_readdir(wasmc_wasi *w, wasi_fd *f, uint8_t *buf, uint32_t len, uint64_t cookie,
                               uint32_t *used_out) {
    const wasmc_module *m = w->embedded;
    const wasmc_data_entry *d = entry(w, f->node);
    char prefix[4096];
    int64_t plen = relative_path(w, f->node, prefix, sizeof prefix - 1);
    if (plen < 0) return WASI_ENAMETOOLONG;
    if (plen) prefix[plen++] = '/';
    uint32_t root = d->root, used = 0;
    uint64_t number = 0;
    /* The children: the root's entries after the directory's own that start with the prefix
     * (contiguous in the image's order), one component deeper. */
    int64_t first = f->node;
    for (int64_t i = first - 2; i < (int64_t)m->nfiles && used < len; i++) {
        const char *name;
        uint32_t namelen, node;
        if (i == first - 2 || i == first - 1) { /* "." and ".." */
            name = i == first - 2 ? "." : "..";
            namelen = (uint32_t)strlen(name);
            node = f->node;
        } else if (i == first) {
            continue;
        } else {
            if (m->files[i].root != root) break;
            uint32_t n;
            const char *path = rt_embedded_path(m, (uint32_t)i, &n);
            if (n < (uint32_t)plen || memcmp(path, prefix, (size_t)plen) != 0) {
                if (rt_name_cmp(path, n, prefix, (uint32_t)plen) > 0) break; /* past them */
                continue; /* "a-b" sorts between "a" and "a/b" */
            }
            name = path + plen;
            namelen = n - (uint32_t)plen;
            if (memchr(name, '/', namelen)) continue; /* a grandchild */
            node = (uint32_t)i;
        }
        if (number++ < cookie) continue;
        uint8_t head[24];
        wasi_store64(head, number);
        wasi_store64(head + 8, node + 1u);
        wasi_store32(head + 16, namelen);
        memset(head + 20, 0, 4);
        head[20] = filetype(&m->files[node]);
        uint32_t room = len - used;
        if (24 + namelen > room) { /* what fits, as for host directories */
            memcpy(buf + used, head, room < 24 ? room : 24);
            if (room > 24) memcpy(buf + used + 24, name, room - 24);
            used = len;
            break;
        }
        memcpy(buf + used, head, 24);
        memcpy(buf + used + 24, name, namelen);
        used += 24 + namelen;
    }
    *used_out = used;
    return 0;
}
