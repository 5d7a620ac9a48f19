#!/usr/bin/env python3
"""Calls a wasmc-compiled module from Python through the C embedding API (Runtime/include/wasmc.h)
with ctypes, no Swift involved.

    python3 fac.py libwasmc_runtime.so fac.so 20     # prints 2432902008176640000

libwasmc_runtime.so is the C runtime built as a shared library (scripts/test-embedding shows how);
fac.so is examples/fac.wat compiled by `wasmc compile`.
"""
import ctypes
import sys


class Error(ctypes.Structure):
    _fields_ = [("kind", ctypes.c_int), ("trap", ctypes.c_uint32), ("message", ctypes.c_char * 512)]


class Value(ctypes.Union):  # wasmc_value: 16 bytes
    _fields_ = [("i32", ctypes.c_int32), ("i64", ctypes.c_int64), ("f32", ctypes.c_float),
                ("f64", ctypes.c_double), ("v128", ctypes.c_uint8 * 16), ("ref", ctypes.c_void_p)]


class Global(ctypes.Structure):
    _fields_ = [("cell", ctypes.c_void_p), ("kind", ctypes.c_uint8), ("mutable", ctypes.c_uint8)]


class Of(ctypes.Union):
    _fields_ = [("func", ctypes.c_void_p), ("host", ctypes.c_void_p), ("table", ctypes.c_void_p),
                ("memory", ctypes.c_void_p), ("glob", Global)]


class Extern(ctypes.Structure):  # wasmc_extern: 32 bytes
    _fields_ = [("kind", ctypes.c_uint32), ("of", Of), ("is_host", ctypes.c_uint32)]


WASMC_EXTERN_FUNC = 0


def main():
    if len(sys.argv) != 4:
        sys.exit("usage: fac.py LIBWASMC_RUNTIME.so FAC.so N")
    runtime = ctypes.CDLL(sys.argv[1])
    runtime.wasmc_module_load.restype = ctypes.c_void_p
    runtime.wasmc_module_load.argtypes = [ctypes.c_char_p, ctypes.POINTER(Error)]
    runtime.wasmc_store_new.restype = ctypes.c_void_p
    runtime.wasmc_instantiate.restype = ctypes.c_void_p
    runtime.wasmc_instantiate.argtypes = [ctypes.c_void_p, ctypes.c_void_p, ctypes.c_void_p, ctypes.c_uint32, ctypes.POINTER(Error)]
    runtime.wasmc_instance_export.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.POINTER(Extern)]
    runtime.wasmc_call.restype = ctypes.c_uint32
    runtime.wasmc_call.argtypes = [ctypes.c_void_p, ctypes.c_void_p, ctypes.POINTER(Value)]
    runtime.wasmc_trap_message.restype = ctypes.c_char_p
    runtime.wasmc_trap_message.argtypes = [ctypes.c_uint32]
    for name in ("wasmc_instance_delete", "wasmc_store_delete", "wasmc_module_unload"):
        getattr(runtime, name).argtypes = [ctypes.c_void_p]

    error = Error()
    path = sys.argv[2] if "/" in sys.argv[2] else "./" + sys.argv[2]  # dlopen needs a path
    module = runtime.wasmc_module_load(path.encode(), ctypes.byref(error))
    if not module:
        sys.exit(f"fac.py: {error.message.decode()}")
    store = runtime.wasmc_store_new()
    instance = runtime.wasmc_instantiate(store, module, None, 0, ctypes.byref(error))
    if not instance:
        sys.exit(f"fac.py: {error.message.decode()}")
    export = Extern()
    if not runtime.wasmc_instance_export(instance, b"fac", ctypes.byref(export)) or export.kind != WASMC_EXTERN_FUNC:
        sys.exit("fac.py: no exported function fac")

    io = (Value * 1)()  # room for max(parameters, results) values
    io[0].i64 = int(sys.argv[3])
    trap = runtime.wasmc_call(store, export.of.func, io)
    if trap:
        print(f"wasm trap: {runtime.wasmc_trap_message(trap).decode()}", file=sys.stderr)
        sys.exit(134)
    print(io[0].i64)

    runtime.wasmc_instance_delete(instance)
    runtime.wasmc_module_unload(module)
    runtime.wasmc_store_delete(store)


if __name__ == "__main__":
    main()
