#!/usr/bin/env python3
"""Writes the data-segment modules of scripts/test-cross into DIR, and prints, as shell
assignments, what their exports must return (computed here as the spec's copies would leave
the memory). The layouts are those of Tests/WasmcTests/DataImageTests.swift: segments mapped
whole pages and edges copied, unaligned, overlapping in order, many small ones, a passive one,
one at an offset from an imported global, one past the memory's end.

    eval "$(python3 Tests/cross/data_modules.py DIR)"

Each module exports:
  hash(start, n) -> i32     h = 31*h + byte over memory[start, start+n)
  bump() -> i32             memory[0x1000] += 1, returns it (writes stay with the instance)
and data.wasm also init(dst, src, n) -> i32 (memory.init of its passive segment, then
hash(dst, n)) and drop_then_init() (data.drop, then memory.init of one byte: traps).
"""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "scripts"))
from wasm_binary import leb, name, section, sleb, vec  # noqa: E402

PAGE = 65536


def pseudo(count, seed):
    """`count` bytes no two of whose pages are alike (xorshift32)."""
    state = (seed * 2654435761) & 0xFFFFFFFF | 1
    out = bytearray(count)
    for i in range(count):
        state ^= (state << 13) & 0xFFFFFFFF
        state ^= state >> 17
        state ^= (state << 5) & 0xFFFFFFFF
        out[i] = state & 0xFF
    return bytes(out)


def wasm_hash(data):
    h = 0
    for b in data:
        h = (h * 31 + b) & 0xFFFFFFFF
    return h - (1 << 32) if h & 0x80000000 else h


def module(pages, segments, imports_base=False):
    """segments: ("const", offset, bytes) | ("global", bytes) | ("passive", bytes)."""
    passive = [i for i, s in enumerate(segments) if s[0] == "passive"]
    types = [b"\x60\x02\x7f\x7f\x01\x7f", b"\x60\x00\x01\x7f", b"\x60\x03\x7f\x7f\x7f\x01\x7f", b"\x60\x00\x00"]
    out = b"\0asm\1\0\0\0" + section(1, vec(types))
    if imports_base:
        out += section(2, vec([name("env") + name("base") + b"\x03\x7f\x00"]))
    funcs = [leb(0), leb(1)] + ([leb(2), leb(3)] if passive else [])
    out += section(3, vec(funcs))
    out += section(5, vec([b"\x00" + leb(pages)]))
    exports = [name("mem") + b"\x02\x00", name("hash") + b"\x00" + leb(0), name("bump") + b"\x00" + leb(1)]
    if passive:
        exports += [name("init") + b"\x00" + leb(2), name("drop_then_init") + b"\x00" + leb(3)]
    out += section(7, vec(exports))
    out += section(12, leb(len(segments)))
    # hash: (local i, h) loop while i < n: h = h*31 + load8_u(start + i)
    hash_body = bytes.fromhex(
        "0102 7f"  # 2 locals of i32 (i = local 2, h = local 3)
        "02 40 03 40"  # block loop
        "20 02 20 01 4f 0d 01"  # br_if 1 (i >= n)
        "20 03 41 1f 6c 20 00 20 02 6a 2d 00 00 6a 21 03"  # h = h*31 + load8_u(start+i)
        "20 02 41 01 6a 21 02 0c 00"  # i++, br 0
        "0b 0b 20 03 0b".replace(" ", "")
    )
    bump_body = bytes.fromhex("00 41 80 20 41 80 20 2d 00 00 41 01 6a 3a 00 00 41 80 20 2d 00 00 0b".replace(" ", ""))
    bodies = [hash_body, bump_body]
    if passive:
        k = leb(passive[0])
        bodies.append(b"\x00\x20\x00\x20\x01\x20\x02\xfc\x08" + k + b"\x00\x20\x00\x20\x02\x10\x00\x0b")
        bodies.append(b"\x00\xfc\x09" + k + b"\x41\x00\x41\x00\x41\x01\xfc\x08" + k + b"\x00\x0b")
    out += section(10, vec([leb(len(b)) + b for b in bodies]))
    encoded = []
    for s in segments:
        if s[0] == "const":
            encoded.append(b"\x00\x41" + sleb(s[1] - (1 << 32) if s[1] >= 1 << 31 else s[1]) + b"\x0b" + leb(len(s[2])) + s[2])
        elif s[0] == "global":
            encoded.append(b"\x00\x23\x00\x0b" + leb(len(s[1])) + s[1])
        else:
            encoded.append(b"\x01" + leb(len(s[1])) + s[1])
    return out + section(11, vec(encoded))


def memory_after(pages, segments, base=0):
    memory = bytearray(pages * PAGE)
    for s in segments:
        if s[0] == "passive":
            continue
        offset, data = (s[1], s[2]) if s[0] == "const" else (base, s[1])
        if offset + len(data) > len(memory):
            break
        memory[offset : offset + len(data)] = data
    return memory


def main(directory):
    said = {}
    # data.wasm: 64 pages, the layouts.
    passive = pseudo(512 << 10, 5)
    layouts = [
        ("const", 0, pseudo(1 << 20, 1)),
        ("const", 0x201235, pseudo(600001, 2)),
        ("const", 0x205000, pseudo(100, 3)),
        ("const", 0x0F0000, pseudo(300000, 4)),
    ] + [("const", 0x300000 + 1500 * i, pseudo(1000, 10 + i)) for i in range(20)] + [("passive", passive)]
    open(f"{directory}/data.wasm", "wb").write(module(64, layouts))
    memory = memory_after(64, layouts)
    said["data_hash"] = wasm_hash(memory)
    said["data_bump"] = memory[0x1000] + 1
    # memory.init of the passive segment: alike modulo pages (mapped), and not (copied).
    said["init_aligned_hash"] = wasm_hash(passive[0x123 : 0x123 + 0x30000])
    said["init_unaligned_hash"] = wasm_hash(passive[0x777 : 0x777 + 0x21111])
    # data-global.wasm: a segment at env.base.
    at_base = [("const", 0x10000, pseudo(0x40000, 7)), ("global", pseudo(0x50000, 8))]
    open(f"{directory}/data-global.wasm", "wb").write(module(16, at_base, imports_base=True))
    for base in (0x40000, 0x40001):
        said[f"global_hash_{base:x}"] = wasm_hash(memory_after(16, at_base, base))
    # data-past-end.wasm: the second segment ends a page past the memory.
    past = [("const", 0, pseudo(0x40000, 11)), ("const", 0x50000, pseudo(0x40000, 12))]
    open(f"{directory}/data-past-end.wasm", "wb").write(module(8, past))
    for key, value in said.items():
        print(f"{key}={value}")


if __name__ == "__main__":
    main(sys.argv[1])
