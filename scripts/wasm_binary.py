"""Pieces of the WebAssembly binary format, for the scripts and tests that write modules
byte by byte (modules too large, or too odd, to write as text) or look into them."""


def leb(n):
    """n as unsigned LEB128."""
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def sleb(n):
    """n as signed LEB128 (i32.const and i64.const immediates)."""
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        if (n == 0 and not b & 0x40) or (n == -1 and b & 0x40):
            out.append(b)
            return bytes(out)
        out.append(b | 0x80)


def section(id, payload):
    return bytes([id]) + leb(len(payload)) + payload


def vec(items):
    return leb(len(items)) + b"".join(items)


def name(text):
    return leb(len(text)) + text.encode()


def read_leb(data, pos):
    """(value, position after it) of the unsigned LEB128 number at data[pos]."""
    value, shift = 0, 0
    while True:
        b = data[pos]
        pos += 1
        value |= (b & 0x7F) << shift
        shift += 7
        if b < 0x80:
            return value, pos


def sections(data):
    """(id, content) of each section of a binary module."""
    pos = 8
    while pos < len(data):
        size, start = read_leb(data, pos + 1)
        yield data[pos], data[start:start + size]
        pos = start + size


def code_size(path):
    """The size in bytes of a module's code section (id 10)."""
    with open(path, "rb") as f:
        return len(dict(sections(f.read())).get(10, b""))
