/* artifact.c: reading a compiled .so as a file, without loading it. `wasmc_module_inspect`
 * finds the descriptor through the ELF dynamic symbol table and parses the same metadata blob
 * the loader parses (metadata.c), so a .so of any architecture can be inspected and nothing in
 * it runs. */
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

wasmc_module *wasmc_module_inspect(const char *path, wasmc_error *error) {
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return rt_fail(error, WASMC_ERROR_LOAD, 0, "cannot open %s: %s", path, strerror(errno));
    struct stat st;
    void *map = MAP_FAILED;
    if (fstat(fd, &st) == 0 && st.st_size > 0)
        map = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
    close(fd);
    if (map == MAP_FAILED)
        return rt_fail(error, WASMC_ERROR_LOAD, 0, "%s: %s", path,
                       st.st_size == 0 ? "empty file" : "cannot map the file");
    wasmc_module *m = calloc(1, sizeof *m);
    char buf[PATH_MAX + 400];
    elf_file f = {map, (uint64_t)st.st_size, map};
    const char *why = m ? inspect_elf(m, &f, buf, sizeof buf) : "out of memory";
    if (why) {
        rt_fail(error, WASMC_ERROR_LOAD, 0, "%s: %s", path, why);
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
