/* context.c: the WASI context: configuration, the fd table, lifetime, binding to an instance's
 * memory, and running a command's _start. */
#include "wasi_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

void wasmc_wasi_config_init(wasmc_wasi_config *config) {
    memset(config, 0, sizeof *config);
    config->stdin_fd = 0;
    config->stdout_fd = 1;
    config->stderr_fd = 2;
}

/* ---- the fd table ---------------------------------------------------------------------- */

uint8_t wasi_filetype(unsigned mode) {
    switch (mode & S_IFMT) {
    case S_IFREG: return WASI_FILETYPE_REGULAR_FILE;
    case S_IFDIR: return WASI_FILETYPE_DIRECTORY;
    case S_IFCHR: return WASI_FILETYPE_CHARACTER_DEVICE;
    case S_IFBLK: return WASI_FILETYPE_BLOCK_DEVICE;
    case S_IFLNK: return WASI_FILETYPE_SYMBOLIC_LINK;
    case S_IFSOCK: return WASI_FILETYPE_SOCKET_STREAM;
    default: return WASI_FILETYPE_UNKNOWN; /* FIFOs have no WASI type */
    }
}

uint8_t wasi_host_filetype(int host) {
    struct stat st;
    if (fstat(host, &st) != 0) return WASI_FILETYPE_UNKNOWN;
    uint8_t type = wasi_filetype(st.st_mode);
    if (type == WASI_FILETYPE_SOCKET_STREAM) {
        int socktype = 0;
        socklen_t len = sizeof socktype;
        if (getsockopt(host, SOL_SOCKET, SO_TYPE, &socktype, &len) == 0 && socktype == SOCK_DGRAM)
            type = WASI_FILETYPE_SOCKET_DGRAM;
    }
    return type;
}

wasi_fd *wasi_slot(wasmc_wasi *w, uint32_t fd) {
    if (fd >= w->nfds || w->fds[fd].host == -1) return NULL;
    return &w->fds[fd];
}

uint16_t wasi_lookup(wasmc_wasi *w, uint32_t fd, uint64_t rights, wasi_fd **out) {
    wasi_fd *f = wasi_slot(w, fd);
    if (!f) return WASI_EBADF;
    if ((f->rights & rights) != rights) return WASI_ENOTCAPABLE;
    *out = f;
    return 0;
}

/* Guest fds are capped well below what the i32 fd type allows. */
#define WASI_MAX_FDS 65536u

uint16_t wasi_install(wasmc_wasi *w, int host, uint8_t filetype, uint64_t rights,
                         uint64_t inheriting, uint32_t *fd) {
    uint32_t slot = 0;
    while (slot < w->nfds && w->fds[slot].host != -1) slot++;
    if (slot == w->nfds) {
        uint32_t n = w->nfds ? w->nfds * 2 : 8;
        if (n > WASI_MAX_FDS) n = WASI_MAX_FDS;
        wasi_fd *fds = slot < n ? realloc(w->fds, n * sizeof *fds) : NULL;
        if (!fds) {
            if (host >= 0) close(host);
            return slot < n ? WASI_ENOMEM : WASI_EMFILE;
        }
        for (uint32_t i = w->nfds; i < n; i++) fds[i] = (wasi_fd){.host = -1};
        w->fds = fds;
        w->nfds = n;
    }
    w->fds[slot] = (wasi_fd){.host = host, .filetype = filetype, .rights = rights,
                             .inheriting = inheriting};
    *fd = slot;
    return 0;
}

void wasi_slot_close(wasi_fd *f) {
    if (f->dir) closedir(f->dir);
    if (f->host >= 0) close(f->host);
    free(f->preopen);
    *f = (wasi_fd){.host = -1};
}

/* The rights of an fd the embedder hands over (stdio), from what it is. */
static uint64_t rights_of(uint8_t filetype) {
    switch (filetype) {
    case WASI_FILETYPE_DIRECTORY: return WASI_RIGHTS_DIR;
    case WASI_FILETYPE_SOCKET_STREAM:
    case WASI_FILETYPE_SOCKET_DGRAM: return WASI_RIGHTS_SOCKET;
    /* A terminal cannot seek; wasi-libc's isatty() reads exactly that. */
    case WASI_FILETYPE_CHARACTER_DEVICE: return WASI_RIGHTS_FILE & ~(WASI_RIGHT_FD_SEEK | WASI_RIGHT_FD_TELL);
    default: return WASI_RIGHTS_FILE;
    }
}

/* ---- lifetime -------------------------------------------------------------------------- */

static char **copy_strings(const char *const *src, uint32_t n, uint32_t *bytes) {
    char **dst = calloc(n ? n : 1, sizeof *dst);
    if (!dst) return NULL;
    uint64_t total = 0;
    for (uint32_t i = 0; i < n; i++) {
        dst[i] = strdup(src[i] ? src[i] : "");
        if (!dst[i]) {
            while (i--) free(dst[i]);
            free(dst);
            return NULL;
        }
        total += strlen(dst[i]) + 1;
    }
    *bytes = total > UINT32_MAX ? UINT32_MAX : (uint32_t)total;
    return dst;
}

static void free_strings(char **s, uint32_t n) {
    for (uint32_t i = 0; s && i < n; i++) free(s[i]);
    free(s);
}

void wasi_retain(wasmc_wasi *w) { __atomic_fetch_add(&w->refcount, 1, __ATOMIC_RELAXED); }

void wasi_release(wasmc_wasi *w) {
    if (__atomic_sub_fetch(&w->refcount, 1, __ATOMIC_ACQ_REL) != 0) return;
    for (uint32_t i = 0; i < w->nfds; i++) wasi_slot_close(&w->fds[i]);
    free(w->fds);
    free_strings(w->argv, w->argc);
    free_strings(w->env, w->envc);
    free(w->funcs);
    if (w->embedded) rt_module_release(w->embedded);
    free(w);
}

wasmc_wasi *wasmc_wasi_new(const wasmc_wasi_config *config, wasmc_error *error) {
    wasmc_wasi *w = calloc(1, sizeof *w);
    if (!w) {
        rt_fail(error, WASMC_ERROR_RESOURCE, 0, "out of memory");
        return NULL;
    }
    w->refcount = 1;
    w->argc = config->argc;
    w->envc = config->envc;
    w->argv = copy_strings(config->argv, config->argc, &w->argv_bytes);
    w->env = copy_strings(config->env, config->envc, &w->env_bytes);
    if (!w->argv || !w->env) goto oom;

    /* Guest fds 0-2 are the stdio streams, open or not; preopen i is guest fd 3 + i. */
    const int stdio[3] = {config->stdin_fd, config->stdout_fd, config->stderr_fd};
    if (config->npreopens > WASI_MAX_FDS - 3) {
        rt_fail(error, WASMC_ERROR_RESOURCE, 0, "too many preopens");
        goto fail;
    }
    w->nfds = 3 + config->npreopens < 8 ? 8 : 3 + config->npreopens;
    w->fds = malloc(w->nfds * sizeof *w->fds);
    if (!w->fds) goto oom;
    for (uint32_t i = 0; i < w->nfds; i++) w->fds[i] = (wasi_fd){.host = -1};
    for (uint32_t i = 0; i < 3; i++) {
        if (stdio[i] < 0) continue;
        int host = fcntl(stdio[i], F_DUPFD_CLOEXEC, 0);
        if (host < 0 && errno == EBADF) continue; /* not open on the host: closed for the guest */
        if (host < 0) {
            rt_fail(error, WASMC_ERROR_LOAD, 0, "stdio fd %d: %s", stdio[i], strerror(errno));
            goto fail;
        }
        uint8_t type = wasi_host_filetype(host);
        w->fds[i] = (wasi_fd){.host = host, .filetype = type, .rights = rights_of(type),
                              .inheriting = type == WASI_FILETYPE_DIRECTORY ? WASI_RIGHTS_ALL : 0};
    }
    for (uint32_t i = 0; i < config->npreopens; i++) {
        const wasmc_wasi_preopen *p = &config->preopens[i];
        int host = open(p->host_path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (host < 0) {
            rt_fail(error, WASMC_ERROR_LOAD, 0, "preopen %s: %s", p->host_path, strerror(errno));
            goto fail;
        }
        w->fds[3 + i] = (wasi_fd){.host = host, .filetype = WASI_FILETYPE_DIRECTORY,
                                  .rights = WASI_RIGHTS_DIR, .inheriting = WASI_RIGHTS_ALL};
        w->fds[3 + i].preopen = strdup(p->guest_path ? p->guest_path : p->host_path);
        if (!w->fds[3 + i].preopen) goto oom;
    }
    if (config->module && config->module->nfiles) {
        rt_module_retain(w->embedded = (wasmc_module *)config->module);
        uint16_t e = wasi_embedded_preopen(w);
        if (e == WASI_ENOMEM) goto oom;
        if (e) {
            rt_fail(error, WASMC_ERROR_RESOURCE, 0, "too many preopens");
            goto fail;
        }
    }
    return w;
oom:
    rt_fail(error, WASMC_ERROR_RESOURCE, 0, "out of memory");
fail:
    wasi_release(w);
    return NULL;
}

void wasmc_wasi_delete(wasmc_wasi *w) {
    if (!w) return;
    /* Drop our references to the host functions; those no instance holds go now, and each
     * gives its reference to the context back. */
    wasmc_host_func **funcs = w->funcs;
    uint32_t n = w->nfuncs;
    w->funcs = NULL;
    w->nfuncs = w->capfuncs = 0;
    wasi_retain(w);
    for (uint32_t i = 0; i < n; i++) wasmc_host_func_release(funcs[i]);
    free(funcs);
    wasi_release(w);
    wasi_release(w);
}

/* ---- memory helpers -------------------------------------------------------------------- */

uint16_t wasi_put32(wasmc_wasi *w, uint32_t ptr, uint32_t v) {
    uint8_t *p = wasi_mem(w, ptr, 4);
    if (!p) return WASI_EFAULT;
    wasi_store32(p, v);
    return 0;
}

uint16_t wasi_put64(wasmc_wasi *w, uint32_t ptr, uint64_t v) {
    uint8_t *p = wasi_mem(w, ptr, 8);
    if (!p) return WASI_EFAULT;
    wasi_store64(p, v);
    return 0;
}

uint16_t wasi_iovecs(wasmc_wasi *w, uint32_t iovs, uint32_t count, struct iovec *iov) {
    const uint8_t *list = wasi_mem(w, iovs, (uint64_t)count * 8);
    if (!list) return WASI_EFAULT;
    if (count > WASI_IOV_MAX) return WASI_EINVAL;
    for (uint32_t i = 0; i < count; i++) {
        uint32_t buf = wasi_load32(list + 8 * i), len = wasi_load32(list + 8 * i + 4);
        uint8_t *p = wasi_mem(w, buf, len);
        if (!p) return WASI_EFAULT;
        iov[i] = (struct iovec){p, len};
    }
    return 0;
}

static uint64_t ns(struct timespec t) {
    return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}

uint16_t wasi_put_filestat(wasmc_wasi *w, uint32_t ptr, const struct stat *st) {
    uint8_t *p = wasi_mem(w, ptr, 64);
    if (!p) return WASI_EFAULT;
    memset(p, 0, 64);
    wasi_store64(p + 0, (uint64_t)st->st_dev);
    wasi_store64(p + 8, (uint64_t)st->st_ino);
    p[16] = wasi_filetype(st->st_mode);
    wasi_store64(p + 24, (uint64_t)st->st_nlink);
    wasi_store64(p + 32, (uint64_t)st->st_size);
    wasi_store64(p + 40, ns(st->st_atim));
    wasi_store64(p + 48, ns(st->st_mtim));
    wasi_store64(p + 56, ns(st->st_ctim));
    return 0;
}

/* ---- instances --------------------------------------------------------------------------- */

int wasmc_wasi_bind(wasmc_wasi *w, wasmc_instance *instance) {
    wasmc_extern x;
    w->memory = NULL;
    if (!wasmc_instance_export(instance, "memory", &x) || x.kind != WASMC_EXTERN_MEMORY) return 0;
    w->memory = x.of.memory;
    return 1;
}

void wasmc_wasi_bind_memory(wasmc_wasi *w, wasmc_memory *memory) { w->memory = memory; }

int wasmc_wasi_exited(const wasmc_wasi *w, int *exit_code) {
    if (!w->exited) return 0;
    if (exit_code) *exit_code = w->exit_code;
    return 1;
}

int wasmc_wasi_run(wasmc_wasi *w, wasmc_store *store, wasmc_instance *instance, int *exit_code,
                   wasmc_error *error) {
    wasmc_extern start;
    if (!wasmc_instance_export(instance, "_start", &start) || start.kind != WASMC_EXTERN_FUNC)
        return wasi_fail(error, WASMC_ERROR_LINK, 0, "the module exports no _start function");
    if (start.of.func->type_id != wasmc_signature_id(NULL, 0, NULL, 0))
        return wasi_fail(error, WASMC_ERROR_LINK, 0, "_start is not a function of type [] -> []");
    wasmc_wasi_bind(w, instance);
    w->exited = 0;
    wasmc_value io[1];
    uint32_t trap = wasmc_call(store, start.of.func, io);
    if (trap == WASMC_TRAP_NONE) {
        *exit_code = 0;
        return 0;
    }
    if (trap == WASMC_TRAP_HOST && w->exited) {
        *exit_code = w->exit_code;
        return 0;
    }
    if (trap == WASMC_EXCEPTION)
        return wasi_fail(error, WASMC_ERROR_EXCEPTION, 0, "uncaught wasm exception");
    return wasi_fail(error, WASMC_ERROR_TRAP, trap, "wasm trap: %s", wasmc_trap_message(trap));
}
