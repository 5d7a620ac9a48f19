#!/usr/bin/env python3
"""Runs a WASI program (or a module with a `_start` export) in Wasmtime with the exception-
handling proposal enabled, and prints what the files in expected/ hold:

    <the program's stdout, byte for byte>
    exit N

N is the program's exit status (proc_exit, or 0 when _start returns). An exception that leaves
_start, or a trap, makes it 134, as `wasmc run` does; the reason goes to stderr, one line: for an
exception, the tag's export name (when the module exports it) and the payload, e.g.
`uncaught exception: tag my_error (42)`. A module Wasmtime refuses (the legacy encoding, which
Wasmtime does not implement) prints `wasmtime: ...` on stderr and exits 2.

    run_wasmtime.py FILE.wasm [ARGS...]      (also FILE.wat)
    run_wasmtime.py --invoke NAME FILE.wasm [I32 ARGS...]   call an export, print its results

Needs PyPI `wasmtime` (a version with Config.wasm_exceptions: 37 or later)."""
import ctypes
import os
import sys
import tempfile

import wasmtime
from wasmtime import _ffi as ffi


def engine():
    config = wasmtime.Config()
    config.wasm_exceptions = True
    return wasmtime.Engine(config)


def take_exception(store, instance):
    """The exception that left wasm (Wasmtime keeps it in the store), as one line, or None."""
    try:
        context = store._context()
        exn = ffi.wasmtime_exnref_t()
        if not ffi.wasmtime_context_take_exception(context, ctypes.byref(exn)):
            return None
        try:
            tag = ffi.wasmtime_tag_t()
            if ffi.wasmtime_exnref_tag(context, ctypes.byref(exn), ctypes.byref(tag)):
                return "uncaught exception"
            thrown = wasmtime.Tag._from_raw(tag)
            name = None
            if instance is not None:
                for export, value in instance.exports(store).items():
                    if isinstance(value, wasmtime.Tag) and value.eq(store, thrown):
                        name = export
                        break
            fields = []
            for i in range(ffi.wasmtime_exnref_field_count(context, ctypes.byref(exn))):
                raw = ffi.wasmtime_val_t()
                if ffi.wasmtime_exnref_field(context, ctypes.byref(exn), i, ctypes.byref(raw)):
                    fields.append("?")
                else:
                    fields.append(str(wasmtime.Val._from_raw(store, raw).value))
        finally:
            ffi.wasmtime_exnref_unroot(ctypes.byref(exn))
        what = f"tag {name}" if name else "a tag it does not export"
        return f"uncaught exception: {what} ({' '.join(fields)})"
    except Exception:  # older bindings: fall back on the trap's text
        return None


def describe(error, store=None, instance=None):
    if store is not None:
        exception = take_exception(store, instance)
        if exception:
            return exception
    lines = [line.strip() for line in str(error).strip().splitlines() if line.strip()]
    return lines[-1] if lines else type(error).__name__


def load(eng, path):
    try:
        if path.endswith(".wat"):
            with open(path) as f:
                return wasmtime.Module(eng, f.read())
        return wasmtime.Module.from_file(eng, path)
    except wasmtime.WasmtimeError as e:
        print(f"wasmtime: {describe(e)}", file=sys.stderr)
        sys.exit(2)


def run_program(path, args):
    eng = engine()
    module = load(eng, path)
    linker = wasmtime.Linker(eng)
    linker.define_wasi()
    store = wasmtime.Store(eng)
    wasi = wasmtime.WasiConfig()
    wasi.argv = [os.path.basename(path)] + list(args)
    wasi.inherit_stderr()
    with tempfile.TemporaryDirectory() as tmp:
        out_path = os.path.join(tmp, "stdout")
        wasi.stdout_file = out_path
        store.set_wasi(wasi)
        status = 0
        instance = None
        try:
            instance = linker.instantiate(store, module)
            instance.exports(store)["_start"](store)
        except wasmtime.ExitTrap as e:
            status = e.code
        except (wasmtime.Trap, wasmtime.WasmtimeError) as e:
            print(describe(e, store, instance), file=sys.stderr)
            status = 134
        with open(out_path, "rb") as f:
            out = f.read()
    sys.stdout.flush()
    sys.stdout.buffer.write(out)
    if out and not out.endswith(b"\n"):
        sys.stdout.buffer.write(b"\n")
    print(f"exit {status}")
    return 0


def invoke(name, path, args):
    eng = engine()
    module = load(eng, path)
    store = wasmtime.Store(eng)
    linker = wasmtime.Linker(eng)
    linker.define_wasi()
    store.set_wasi(wasmtime.WasiConfig())
    instance = None
    try:
        instance = linker.instantiate(store, module)
        result = instance.exports(store)[name](store, *[int(a) for a in args])
    except (wasmtime.Trap, wasmtime.WasmtimeError) as e:
        print(describe(e, store, instance), file=sys.stderr)
        print("exit 134")
        return 0
    if result is None:
        result = []
    elif not isinstance(result, list):
        result = [result]
    print(" ".join(str(r) for r in result))
    print("exit 0")
    return 0


def main(argv):
    if len(argv) >= 3 and argv[0] == "--invoke":
        return invoke(argv[1], argv[2], argv[3:])
    if not argv or argv[0].startswith("-"):
        print(__doc__, file=sys.stderr)
        return 2
    return run_program(argv[0], argv[1:])


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
