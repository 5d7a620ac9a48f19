"""Pieces of the WebAssembly binary format, for the scripts and tests that write modules
byte by byte (modules too large, or too odd, to write as text)."""


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
