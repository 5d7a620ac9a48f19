"""wasmc's C API (Runtime/include/wasmc.h) through ctypes, for the benchmark scripts: the
structures they pass and `load(path)`, the runtime built as a shared library with its
functions' types set (scripts/bench builds Benchmarks/build/libwasmc_runtime.so)."""
import ctypes


class Error(ctypes.Structure):  # wasmc_error
    _fields_ = [("kind", ctypes.c_int), ("trap", ctypes.c_uint32), ("message", ctypes.c_char * 512)]


class Value(ctypes.Union):  # wasmc_value
    _fields_ = [("i32", ctypes.c_int32), ("i64", ctypes.c_int64), ("v128", ctypes.c_uint8 * 16)]


class Global(ctypes.Structure):  # wasmc_global
    _fields_ = [("cell", ctypes.c_void_p), ("kind", ctypes.c_uint8), ("mutable", ctypes.c_uint8),
                ("type_key", ctypes.c_void_p)]


class Of(ctypes.Union):  # the union in wasmc_extern
    _fields_ = [("func", ctypes.c_void_p), ("glob", Global)]


class Extern(ctypes.Structure):  # wasmc_extern
    _fields_ = [("kind", ctypes.c_uint32), ("of", Of), ("is_host", ctypes.c_uint32)]


class ImportInfo(ctypes.Structure):  # wasmc_import_info
    _fields_ = [("module", ctypes.c_char_p), ("name", ctypes.c_char_p), ("kind", ctypes.c_uint32),
                ("type_index", ctypes.c_uint32), ("value_kind", ctypes.c_uint8), ("mutable", ctypes.c_uint8),
                ("has_max", ctypes.c_uint8), ("min", ctypes.c_uint64), ("max", ctypes.c_uint64),
                ("module_len", ctypes.c_uint32), ("name_len", ctypes.c_uint32)]


EXTERN_GLOBAL = 3


def load(runtime_path):
    """The runtime library, with the types of the functions the scripts call."""
    rt = ctypes.CDLL(runtime_path)
    rt.wasmc_module_load.restype = ctypes.c_void_p
    rt.wasmc_module_load.argtypes = [ctypes.c_char_p, ctypes.POINTER(Error)]
    rt.wasmc_store_new.restype = ctypes.c_void_p
    rt.wasmc_instantiate.restype = ctypes.c_void_p
    rt.wasmc_instantiate.argtypes = [ctypes.c_void_p, ctypes.c_void_p, ctypes.c_void_p, ctypes.c_uint32,
                                     ctypes.POINTER(Error)]
    rt.wasmc_instance_delete.argtypes = [ctypes.c_void_p]
    rt.wasmc_instance_export.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.POINTER(Extern)]
    rt.wasmc_call.restype = ctypes.c_uint32
    rt.wasmc_call.argtypes = [ctypes.c_void_p, ctypes.c_void_p, ctypes.POINTER(Value)]
    rt.wasmc_module_import_count.restype = ctypes.c_uint32
    rt.wasmc_module_import_count.argtypes = [ctypes.c_void_p]
    rt.wasmc_module_import.argtypes = [ctypes.c_void_p, ctypes.c_uint32, ctypes.POINTER(ImportInfo)]
    rt.wasmc_global_new.restype = Global
    rt.wasmc_global_new.argtypes = [ctypes.c_uint8, ctypes.c_uint8, Value]
    return rt
