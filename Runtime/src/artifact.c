/* artifact.c: reading a compiled .so as a file, without loading it. `wasmc_module_inspect`
 * finds the descriptor through the ELF dynamic symbol table and parses the same metadata blob
 * the loader parses (metadata.c), so a .so of any architecture can be inspected and nothing in
 * it runs. Also the sections both read from the file: the wasm inside (`.wasmc.wasm`), and
 * where any section is (the data image's `.wasmc.data`, data.c). */
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

typedef struct elf_file {
    const uint8_t *bytes;
    uint64_t size;
    const Elf64_Ehdr *header;
} elf_file;

/* A pointer to `n` bytes at file offset `at`, or NULL when they are not all in the file. */
static const void *elf_at(const elf_file *f, uint64_t at, uint64_t n) {
    return at <= f->size && n <= f->size - at ? f->bytes + at : NULL;
}

static const Elf64_Shdr *elf_section(const elf_file *f, uint32_t index) {
    const Elf64_Ehdr *h = f->header;
    if (index >= h->e_shnum || h->e_shentsize < sizeof(Elf64_Shdr)) return NULL;
    return elf_at(f, h->e_shoff + (uint64_t)index * h->e_shentsize, sizeof(Elf64_Shdr));
}

/* The file offset of `n` bytes at virtual address `address`, or UINT64_MAX. */
static uint64_t elf_offset(const elf_file *f, uint64_t address, uint64_t n) {
    const Elf64_Ehdr *h = f->header;
    for (uint32_t i = 0; i < h->e_phnum && h->e_phentsize >= sizeof(Elf64_Phdr); i++) {
        const Elf64_Phdr *p = elf_at(f, h->e_phoff + (uint64_t)i * h->e_phentsize, sizeof *p);
        if (p && p->p_type == PT_LOAD && address >= p->p_vaddr && address - p->p_vaddr <= p->p_filesz &&
            n <= p->p_filesz - (address - p->p_vaddr))
            return p->p_offset + (address - p->p_vaddr);
    }
    return UINT64_MAX;
}

/* The value of the dynamic symbol `name`, or UINT64_MAX. */
static uint64_t elf_symbol(const elf_file *f, const char *name) {
    size_t name_len = strlen(name) + 1;
    for (uint32_t i = 0; i < f->header->e_shnum; i++) {
        const Elf64_Shdr *s = elf_section(f, i), *strings = s ? elf_section(f, s->sh_link) : NULL;
        if (!s || s->sh_type != SHT_DYNSYM || !strings || s->sh_entsize < sizeof(Elf64_Sym)) continue;
        for (uint64_t at = 0; at + sizeof(Elf64_Sym) <= s->sh_size; at += s->sh_entsize) {
            const Elf64_Sym *sym = elf_at(f, s->sh_offset + at, sizeof *sym);
            const char *sym_name = sym && sym->st_name < strings->sh_size
                                       ? elf_at(f, strings->sh_offset + sym->st_name, name_len)
                                       : NULL;
            if (sym_name && memcmp(sym_name, name, name_len) == 0) return sym->st_value;
        }
    }
    return UINT64_MAX;
}

/* The pointer stored at virtual address `address`: the addend of its dynamic relocation (the
 * linker leaves the target of a RELA relocation zero in the file), else the bytes in place. */
static uint64_t elf_pointer(const elf_file *f, uint64_t address) {
    for (uint32_t i = 0; i < f->header->e_shnum; i++) {
        const Elf64_Shdr *s = elf_section(f, i);
        if (!s || s->sh_type != SHT_RELA || s->sh_entsize < sizeof(Elf64_Rela)) continue;
        for (uint64_t at = 0; at + sizeof(Elf64_Rela) <= s->sh_size; at += s->sh_entsize) {
            const Elf64_Rela *r = elf_at(f, s->sh_offset + at, sizeof *r);
            if (r && r->r_offset == address) return (uint64_t)r->r_addend;
        }
    }
    uint64_t at = elf_offset(f, address, 8);
    uint64_t value = UINT64_MAX;
    if (at != UINT64_MAX) memcpy(&value, f->bytes + at, 8);
    return value;
}

static const char *machine_name(uint16_t machine, char *buf, size_t len) {
    switch (machine) {
    case EM_X86_64: return "x86_64";
    case EM_AARCH64: return "aarch64";
    case EM_RISCV: return "riscv64";
    default: return rt_format(buf, len, "ELF machine %u", machine);
    }
}

/* Finds the descriptor's metadata blob in the file and parses it into `m`. */
static const char *inspect_elf(wasmc_module *m, const elf_file *f, char *buf, size_t len) {
    if (f->size < 4 || memcmp(f->bytes, ELFMAG, SELFMAG) != 0) return "not an ELF file";
    if (f->size < sizeof(Elf64_Ehdr)) return "truncated ELF file";
    const Elf64_Ehdr *h = f->header;
    if (h->e_ident[EI_CLASS] != ELFCLASS64 || h->e_ident[EI_DATA] != ELFDATA2LSB)
        return "not a 64-bit little-endian ELF file";
    char other[32];
    const char *machine = machine_name(h->e_machine, other, sizeof other);
    snprintf(m->machine, sizeof m->machine, "%s", machine);
    uint64_t address = elf_symbol(f, "wasmc_module");
    if (address == UINT64_MAX) return "not a wasmc module (no wasmc_module symbol)";
    uint64_t at = elf_offset(f, address, 24);
    if (at == UINT64_MAX) return "the wasmc_module descriptor is not in the file";
    uint32_t magic, abi;
    uint64_t size;
    memcpy(&magic, f->bytes + at, 4);
    memcpy(&abi, f->bytes + at + 4, 4);
    memcpy(&size, f->bytes + at + 16, 8);
    if (magic != WASMC_DESCRIPTOR_MAGIC)
        return rt_format(buf, len, "not a wasmc module (bad descriptor magic 0x%08x)", magic);
    if (abi != WASMC_ABI_VERSION)
        return rt_format(buf, len, "ABI version %u, which this runtime cannot read (it reads %u)", abi,
                         WASMC_ABI_VERSION);
    uint64_t blob = elf_offset(f, elf_pointer(f, address + 8), size);
    if (blob == UINT64_MAX) return "the metadata blob is not in the file";
    return rt_metadata_parse(m, f->bytes + blob, size, buf, len) == 0 ? NULL : buf;
}

int rt_elf_section(int fd, const char *name, uint64_t *offset, uint64_t *size) {
    Elf64_Ehdr h;
    if (pread(fd, &h, sizeof h, 0) != (ssize_t)sizeof h || memcmp(h.e_ident, ELFMAG, SELFMAG) != 0 ||
        h.e_ident[EI_CLASS] != ELFCLASS64 || h.e_shentsize < sizeof(Elf64_Shdr) || h.e_shstrndx >= h.e_shnum)
        return -1;
    Elf64_Shdr names;
    if (pread(fd, &names, sizeof names, (off_t)(h.e_shoff + (uint64_t)h.e_shstrndx * h.e_shentsize)) !=
            (ssize_t)sizeof names ||
        names.sh_size > (1u << 20))
        return -1;
    char *strings = malloc(names.sh_size + 1);
    if (!strings) return -1;
    int found = -1;
    if (pread(fd, strings, names.sh_size, (off_t)names.sh_offset) == (ssize_t)names.sh_size) {
        strings[names.sh_size] = 0;
        for (unsigned i = 0; i < h.e_shnum && found != 0; i++) {
            Elf64_Shdr s;
            if (pread(fd, &s, sizeof s, (off_t)(h.e_shoff + (uint64_t)i * h.e_shentsize)) != (ssize_t)sizeof s)
                break;
            if (s.sh_name < names.sh_size && strcmp(strings + s.sh_name, name) == 0 && s.sh_type == SHT_PROGBITS) {
                *offset = s.sh_offset;
                *size = s.sh_size;
                found = 0;
            }
        }
    }
    free(strings);
    return found;
}

const char *rt_wasm_entries(wasmc_module *m, int fd, uint64_t at, uint64_t size, const char *where, char *buf,
                            size_t len) {
    struct stat st;
    if (fstat(fd, &st) != 0 || at > (uint64_t)st.st_size || size > (uint64_t)st.st_size - at)
        return rt_format(buf, len, "%s lies past the end of the file", where);
    wasmc_wasm_header h;
    if (size < sizeof h || pread(fd, &h, sizeof h, (off_t)at) != (ssize_t)sizeof h ||
        memcmp(h.magic, WASMC_WASM_MAGIC, sizeof h.magic) != 0)
        return rt_format(buf, len, "%s is not a wasm archive (bad magic)", where);
    if (h.version != WASMC_WASM_VERSION)
        return rt_format(buf, len, "%s has format version %u (this runtime reads %u)", where, h.version, WASMC_WASM_VERSION);
    if (h.count == 0 || h.count > (size - sizeof h) / sizeof(wasmc_wasm_entry))
        return rt_format(buf, len, "%s holds %u entries, which do not fit it", where, h.count);
    struct rt_wasm *grown = realloc(m->wasm, (m->nwasm + h.count) * sizeof *m->wasm);
    if (!grown) return "out of memory";
    m->wasm = grown;
    for (uint32_t i = 0; i < h.count; i++) {
        wasmc_wasm_entry e;
        struct rt_wasm *w = &m->wasm[m->nwasm];
        memset(w, 0, sizeof *w);
        if (pread(fd, &e, sizeof e, (off_t)(at + sizeof h + (uint64_t)i * sizeof e)) != (ssize_t)sizeof e)
            return rt_format(buf, len, "cannot read entry %u of %s", i, where);
        if (e.name_offset > size || e.name_len > size - e.name_offset || e.offset > size ||
            e.compressed_size > size - e.offset ||
            (e.compression != WASMC_WASM_STORED && e.compression != WASMC_WASM_ZLIB) ||
            (e.compression == WASMC_WASM_STORED && e.compressed_size != e.size))
            return rt_format(buf, len, "entry %u of %s is malformed", i, where);
        if (!(w->name = malloc((size_t)e.name_len + 1))) return "out of memory";
        m->nwasm++;
        if (pread(fd, w->name, e.name_len, (off_t)(at + e.name_offset)) != (ssize_t)e.name_len)
            return rt_format(buf, len, "cannot read entry %u of %s", i, where);
        w->name[e.name_len] = 0;
        w->name_len = e.name_len;
        w->compression = e.compression;
        w->size = e.size;
        w->compressed_size = e.compressed_size;
        w->file_offset = at + e.offset;
        for (int b = 0; b < 32; b++) snprintf(w->sha256 + 2 * b, 3, "%02x", e.sha256[b]);
    }
    return NULL;
}

const char *rt_wasm_read(wasmc_module *m, int fd, char *buf, size_t len) {
    uint64_t at, size;
    if (rt_elf_section(fd, WASMC_WASM_SECTION, &at, &size) != 0) return NULL; /* none inside */
    char where[64];
    snprintf(where, sizeof where, "its %s section", WASMC_WASM_SECTION);
    const char *why = rt_wasm_entries(m, fd, at, size, where, buf, len);
    if (why) return why;
    if (m->wasm[0].name_len != 0 || strcmp(m->wasm[0].sha256, m->hash) != 0)
        return rt_format(buf, len, "the first module of its %s section is not the one compiled (sha256 %s, the "
                         "metadata says %s)", WASMC_WASM_SECTION, m->wasm[0].sha256, m->hash);
    return NULL;
}

void rt_wasm_free(wasmc_module *m) {
    for (uint32_t i = 0; i < m->nwasm; i++) free(m->wasm[i].name);
    free(m->wasm);
    m->wasm = NULL;
    m->nwasm = 0;
}

uint32_t wasmc_module_wasm_count(const wasmc_module *m) { return m->nwasm; }

int wasmc_module_wasm(const wasmc_module *m, uint32_t index, wasmc_wasm_info *out) {
    memset(out, 0, sizeof *out);
    if (index >= m->nwasm) return 0;
    const struct rt_wasm *w = &m->wasm[index];
    *out = (wasmc_wasm_info){w->name, w->name_len, w->compression, w->size, w->compressed_size, w->file_offset,
                             w->sha256};
    return 1;
}

const char *rt_inspect_elf(wasmc_module *m, const uint8_t *bytes, uint64_t size, char *buf, size_t len) {
    elf_file f = {bytes, size, (const Elf64_Ehdr *)bytes};
    return inspect_elf(m, &f, buf, len);
}

wasmc_module *wasmc_module_inspect(const char *path, wasmc_error *error) {
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return rt_fail(error, WASMC_ERROR_LOAD, 0, "cannot open %s: %s", path, strerror(errno));
    char magic[4];
    if (pread(fd, magic, 4, 0) == 4 && memcmp(magic, "\0asm", 4) == 0) {
        close(fd);
        return rt_bundle_inspect(path, error);
    }
    struct stat st;
    void *map = MAP_FAILED;
    if (fstat(fd, &st) == 0 && st.st_size > 0)
        map = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
    if (map == MAP_FAILED) {
        close(fd);
        return rt_fail(error, WASMC_ERROR_LOAD, 0, "%s: %s", path,
                       st.st_size == 0 ? "empty file" : "cannot map the file");
    }
    wasmc_module *m = calloc(1, sizeof *m);
    char buf[PATH_MAX + 400];
    elf_file f = {map, (uint64_t)st.st_size, map};
    const char *why = m ? inspect_elf(m, &f, buf, sizeof buf) : "out of memory";
    if (!why) why = rt_wasm_read(m, fd, buf, sizeof buf);
    close(fd);
    if (why) {
        rt_fail(error, WASMC_ERROR_LOAD, 0, "%s: %s", path, why);
        if (m) rt_wasm_free(m);
        if (m) rt_metadata_free(m);
        free(m);
        munmap(map, (size_t)st.st_size);
        return NULL;
    }
    m->data_fd = -1;
    m->file_map = map;
    m->file_size = (uint64_t)st.st_size;
    m->refcount = 1;
    rt_fail(error, WASMC_OK, 0, "%s", "");
    return m;
}

int wasmc_memory_file_new(const char *name) { return memfd_create(name, MFD_CLOEXEC | MFD_ALLOW_SEALING); }

int wasmc_memory_file_seal(int fd) {
    return fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_SEAL);
}
