"""Load and run WebAssembly modules compiled by wasmc (native .so files), through the C runtime
(Runtime/include/wasmc.h, wasmc_wasi.h), which the package carries as wasmc/_runtime*.so.

    module = wasmc.Module("fac.so")
    instance = wasmc.Instance(module)
    instance.exports["fac"](20)

The structures below mirror the C headers; the value kinds, extern kinds and trap codes are
read from the runtime (wasmc_abi_constant), not restated.
"""
import ctypes
import glob
import os

__all__ = ["Module", "Instance", "Store", "Function", "Memory", "Global", "WASI", "Error", "Trap", "Exit"]


class Value(ctypes.Union):  # wasmc_value
    _fields_ = [("i32", ctypes.c_int32), ("i64", ctypes.c_int64), ("f32", ctypes.c_float),
                ("f64", ctypes.c_double), ("v128", ctypes.c_uint8 * 16), ("ref", ctypes.c_void_p)]


class _Error(ctypes.Structure):  # wasmc_error
    _fields_ = [("kind", ctypes.c_int), ("trap", ctypes.c_uint32), ("message", ctypes.c_char * 512)]


class _FuncRef(ctypes.Structure):  # wasmc_funcref
    _fields_ = [("code", ctypes.c_void_p), ("ctx", ctypes.c_void_p), ("trampoline", ctypes.c_void_p),
                ("type_id", ctypes.c_uint32), ("reserved", ctypes.c_uint32)]


class _Memory(ctypes.Structure):  # wasmc_memory (its leading fields)
    _fields_ = [("base", ctypes.c_void_p), ("size", ctypes.c_uint64), ("max_pages", ctypes.c_uint64)]


class _Global(ctypes.Structure):  # wasmc_global
    _fields_ = [("cell", ctypes.POINTER(Value)), ("kind", ctypes.c_uint8), ("mutable", ctypes.c_uint8),
                ("type_key", ctypes.c_char_p)]


class _Of(ctypes.Union):
    _fields_ = [("func", ctypes.POINTER(_FuncRef)), ("host", ctypes.c_void_p), ("table", ctypes.c_void_p),
                ("memory", ctypes.POINTER(_Memory)), ("glob", _Global), ("tag", ctypes.c_void_p)]


class _Extern(ctypes.Structure):  # wasmc_extern
    _fields_ = [("kind", ctypes.c_uint32), ("of", _Of), ("is_host", ctypes.c_uint32)]


class _ImportInfo(ctypes.Structure):  # wasmc_import_info
    _fields_ = [("module", ctypes.c_char_p), ("name", ctypes.c_char_p), ("kind", ctypes.c_uint32),
                ("type_index", ctypes.c_uint32), ("value_kind", ctypes.c_uint8), ("mutable", ctypes.c_uint8),
                ("has_max", ctypes.c_uint8), ("min", ctypes.c_uint64), ("max", ctypes.c_uint64),
                ("module_len", ctypes.c_uint32), ("name_len", ctypes.c_uint32), ("type_key", ctypes.c_char_p),
                ("is64", ctypes.c_uint8)]


class _ExportInfo(ctypes.Structure):  # wasmc_export_info
    _fields_ = [("name", ctypes.c_char_p), ("kind", ctypes.c_uint32), ("index", ctypes.c_uint32),
                ("name_len", ctypes.c_uint32)]


class _Preopen(ctypes.Structure):  # wasmc_wasi_preopen
    _fields_ = [("host", ctypes.c_char_p), ("guest", ctypes.c_char_p)]


class _WASIConfig(ctypes.Structure):  # wasmc_wasi_config
    _fields_ = [("argv", ctypes.POINTER(ctypes.c_char_p)), ("argc", ctypes.c_uint32),
                ("env", ctypes.POINTER(ctypes.c_char_p)), ("envc", ctypes.c_uint32),
                ("preopens", ctypes.POINTER(_Preopen)), ("npreopens", ctypes.c_uint32),
                ("stdin_fd", ctypes.c_int), ("stdout_fd", ctypes.c_int), ("stderr_fd", ctypes.c_int),
                ("module", ctypes.c_void_p)]


_CALLBACK = ctypes.CFUNCTYPE(ctypes.c_uint32, ctypes.c_void_p, ctypes.POINTER(Value))


def _load_runtime():
    """The runtime library: the package's own, or $WASMC_RUNTIME (a libwasmc_runtime.so)."""
    path = os.environ.get("WASMC_RUNTIME")
    if not path:
        here = os.path.dirname(os.path.abspath(__file__))
        found = sorted(glob.glob(os.path.join(here, "_runtime*.so")))
        if not found:
            raise ImportError("wasmc: the package has no runtime library (_runtime*.so): install it with pip")
        path = found[0]
    rt = ctypes.CDLL(path, mode=ctypes.RTLD_GLOBAL)
    p, u32, u8p = ctypes.c_void_p, ctypes.c_uint32, ctypes.POINTER(ctypes.c_uint8)
    signatures = {
        "wasmc_store_new": (p, []), "wasmc_store_delete": (None, [p]),
        "wasmc_module_load_data": (p, [ctypes.c_char_p, ctypes.c_char_p, ctypes.POINTER(_Error)]),
        "wasmc_module_inspect": (p, [ctypes.c_char_p, ctypes.POINTER(_Error)]),
        "wasmc_module_unload": (None, [p]),
        "wasmc_module_target": (ctypes.c_char_p, [p]),
        "wasmc_module_cpu": (ctypes.c_char_p, [p]),
        "wasmc_module_cpu_features": (ctypes.c_char_p, [p]),
        "wasmc_module_machine": (ctypes.c_char_p, [p]),
        "wasmc_module_options": (ctypes.c_char_p, [p]),
        "wasmc_abi_constant": (ctypes.c_int, [ctypes.c_char_p, ctypes.POINTER(ctypes.c_int64)]),
        "wasmc_module_import_count": (u32, [p]),
        "wasmc_module_import": (None, [p, u32, ctypes.POINTER(_ImportInfo)]),
        "wasmc_module_export_count": (u32, [p]),
        "wasmc_module_export": (None, [p, u32, ctypes.POINTER(_ExportInfo)]),
        "wasmc_module_type": (None, [p, u32, ctypes.POINTER(u8p), ctypes.POINTER(u32), ctypes.POINTER(u8p),
                                     ctypes.POINTER(u32)]),
        "wasmc_module_type_of_signature": (ctypes.c_int64, [p, u32]),
        "wasmc_module_wasm_hash": (ctypes.c_char_p, [p]),
        "wasmc_instantiate": (p, [p, p, ctypes.POINTER(_Extern), u32, ctypes.POINTER(_Error)]),
        "wasmc_instance_delete": (None, [p]),
        "wasmc_instance_export_bytes": (ctypes.c_int, [p, ctypes.c_char_p, ctypes.c_size_t, ctypes.POINTER(_Extern)]),
        "wasmc_call": (u32, [p, ctypes.POINTER(_FuncRef), ctypes.POINTER(Value)]),
        "wasmc_trap_message": (ctypes.c_char_p, [u32]),
        "wasmc_host_func_new": (p, [u8p, u32, u8p, u32, _CALLBACK, p, p]),
        "wasmc_host_func_release": (None, [p]),
        "wasmc_memory_grow": (ctypes.c_int32, [p, u32]),
        "wasmc_global_new": (_Global, [ctypes.c_uint8, ctypes.c_uint8, Value]),
        "wasmc_wasi_config_init": (None, [ctypes.POINTER(_WASIConfig)]),
        "wasmc_wasi_new": (p, [ctypes.POINTER(_WASIConfig), ctypes.POINTER(_Error)]),
        "wasmc_wasi_delete": (None, [p]),
        "wasmc_wasi_imports": (ctypes.c_int, [p, p, ctypes.POINTER(_Extern), ctypes.POINTER(_Error)]),
        "wasmc_wasi_bind": (ctypes.c_int, [p, p]),
        "wasmc_wasi_run": (ctypes.c_int, [p, p, p, ctypes.POINTER(ctypes.c_int), ctypes.POINTER(_Error)]),
        "wasmc_wasi_exited": (ctypes.c_int, [p, ctypes.POINTER(ctypes.c_int)]),
    }
    for name, (restype, argtypes) in signatures.items():
        function = getattr(rt, name)
        function.restype, function.argtypes = restype, argtypes
    return rt


_rt = _load_runtime()


def _constant(name):
    value = ctypes.c_int64()
    if not _rt.wasmc_abi_constant(name.encode(), ctypes.byref(value)):
        raise ImportError(f"wasmc: the runtime library does not know {name}")
    return value.value


# Value kinds (WASMC_I32...) by their wasm names, extern kinds, trap codes and error kinds.
KINDS = {name: _constant("WASMC_" + name.upper())
         for name in ["i32", "i64", "f32", "f64", "v128", "funcref", "externref", "exnref"]}
KIND_NAMES = {number: name for name, number in KINDS.items()}
EXTERN_FUNC, EXTERN_TABLE, EXTERN_MEMORY, EXTERN_GLOBAL, EXTERN_TAG = (
    _constant("WASMC_EXTERN_" + kind) for kind in ["FUNC", "TABLE", "MEMORY", "GLOBAL", "TAG"])
TRAP_NONE, TRAP_HOST = _constant("WASMC_TRAP_NONE"), _constant("WASMC_TRAP_HOST")
EXCEPTION = _constant("WASMC_EXCEPTION")  # an exception left the call
ERROR_TRAP, ERROR_EXCEPTION = _constant("WASMC_ERROR_TRAP"), _constant("WASMC_ERROR_EXCEPTION")


class Error(Exception):
    """A module that does not load, imports that do not link, instantiation that fails."""


class Trap(Exception):
    """Wasm code trapped; `message` is the spec's wording ("integer divide by zero")."""

    def __init__(self, code):
        self.code = code
        self.message = _rt.wasmc_trap_message(code).decode()
        super().__init__(f"wasm trap: {self.message}")


class Exit(Exception):
    """The WASI program called proc_exit from an export called directly; `code` is its status."""

    def __init__(self, code):
        self.code = code
        super().__init__(f"exit {code}")


def _raise(error):
    if error.kind == ERROR_TRAP:
        raise Trap(error.trap)
    raise Error(error.message.decode(errors="replace"))


def _kinds(names):
    array = (ctypes.c_uint8 * max(len(names), 1))(*[KINDS[name] for name in names])
    return array, len(names)


def _to_value(kind, value, slot):
    if kind == "i32":
        slot.i32 = ctypes.c_int32(int(value)).value if -(1 << 31) <= int(value) < (1 << 32) else _range(kind, value)
    elif kind == "i64":
        slot.i64 = ctypes.c_int64(int(value)).value if -(1 << 63) <= int(value) < (1 << 64) else _range(kind, value)
    elif kind == "f32":
        slot.f32 = float(value)
    elif kind == "f64":
        slot.f64 = float(value)
    elif kind == "v128":
        data = bytes(value)
        if len(data) != 16:
            raise ValueError(f"a v128 is 16 bytes, not {len(data)}")
        ctypes.memmove(slot.v128, data, 16)
    elif value is None:
        slot.ref = None
    else:
        raise ValueError(f"a {kind} argument can only be None from Python")


def _range(kind, value):
    raise ValueError(f"{value} does not fit in {kind}")


def _from_value(kind, slot):
    if kind == "i32":
        return slot.i32
    if kind == "i64":
        return slot.i64
    if kind == "f32":
        return slot.f32
    if kind == "f64":
        return slot.f64
    if kind == "v128":
        return bytes(slot.v128)
    return slot.ref  # a reference: an opaque address, or None


class Module:
    """A .so compiled by wasmc, loaded (and checked: ABI, architecture, CPU features)."""

    def __init__(self, path, data=None):
        error = _Error()
        # dlopen searches the library path for a name without '/': make it a path.
        path = os.fspath(path)
        self.path = path if "/" in path else "./" + path
        self._raw = _rt.wasmc_module_load_data(self.path.encode(), data.encode() if data else None, ctypes.byref(error))
        if not self._raw:
            _raise(error)

    @classmethod
    def inspect(cls, path):
        """The module's metadata read from the file without loading it (wasmc_module_inspect):
        a .so of any architecture can be read; it cannot be instantiated."""
        module = cls.__new__(cls)
        module.path, error = os.fspath(path), _Error()
        module._raw = _rt.wasmc_module_inspect(module.path.encode(), ctypes.byref(error))
        if not module._raw:
            _raise(error)
        return module

    def __del__(self):
        if getattr(self, "_raw", None):
            _rt.wasmc_module_unload(self._raw)
            self._raw = None

    @property
    def wasm_hash(self):
        """SHA-256 (hex) of the wasm the module was compiled from."""
        return _rt.wasmc_module_wasm_hash(self._raw).decode()

    @property
    def target(self):
        """The target triple the module was compiled for."""
        return _rt.wasmc_module_target(self._raw).decode()

    @property
    def cpu(self):
        return _rt.wasmc_module_cpu(self._raw).decode()

    @property
    def cpu_features(self):
        return _rt.wasmc_module_cpu_features(self._raw).decode()

    @property
    def machine(self):
        """The architecture of the .so's ELF header: "x86_64", "aarch64", "riscv64"."""
        return _rt.wasmc_module_machine(self._raw).decode()

    @property
    def options(self):
        """The compile options recorded, as command-line options."""
        return _rt.wasmc_module_options(self._raw).decode()

    def _type(self, index):
        params, results = ctypes.POINTER(ctypes.c_uint8)(), ctypes.POINTER(ctypes.c_uint8)()
        nparams, nresults = ctypes.c_uint32(), ctypes.c_uint32()
        _rt.wasmc_module_type(self._raw, index, ctypes.byref(params), ctypes.byref(nparams), ctypes.byref(results),
                              ctypes.byref(nresults))
        return ([KIND_NAMES[params[i]] for i in range(nparams.value)],
                [KIND_NAMES[results[i]] for i in range(nresults.value)])

    _EXTERN_KINDS = ["func", "table", "memory", "global", "tag"]

    def _entries(self, count, read, info_type):
        """The module's import or export records, read one by one."""
        infos = []
        for index in range(count(self._raw)):
            info = info_type()
            read(self._raw, index, ctypes.byref(info))
            infos.append(info)
        return infos

    @property
    def imports(self):
        """(module, name, kind) of each import, kind one of "func", "table", "memory", "global", "tag"."""
        return [(ctypes.string_at(i.module, i.module_len).decode(), ctypes.string_at(i.name, i.name_len).decode(),
                 self._EXTERN_KINDS[i.kind])
                for i in self._entries(_rt.wasmc_module_import_count, _rt.wasmc_module_import, _ImportInfo)]

    @property
    def exports(self):
        """(name, kind) of each export."""
        return [(ctypes.string_at(i.name, i.name_len).decode(), self._EXTERN_KINDS[i.kind])
                for i in self._entries(_rt.wasmc_module_export_count, _rt.wasmc_module_export, _ExportInfo)]


class Function:
    """A host function to import: `callable(*args)` returns None, a value, or a tuple of values,
    as `results` says. An exception it raises traps the wasm code that called it (the exception
    is raised again from the call into wasm that led there)."""

    def __init__(self, callable, params, results):
        self.callable, self.params, self.results = callable, list(params), list(results)
        self._failure = None

        def trampoline(_env, io):
            try:
                values = self.callable(*[_from_value(kind, io[i]) for i, kind in enumerate(self.params)])
                if len(self.results) == 1:
                    values = (values,)
                for i, kind in enumerate(self.results):
                    _to_value(kind, values[i], io[i])
                return TRAP_NONE
            except BaseException as failure:  # noqa: BLE001 (reported where the call started)
                self._failure = failure
                return TRAP_HOST

        self._callback = _CALLBACK(trampoline)  # kept alive as long as the function
        params_array, nparams = _kinds(self.params)
        results_array, nresults = _kinds(self.results)
        self._raw = _rt.wasmc_host_func_new(params_array, nparams, results_array, nresults, self._callback, None, None)

    def __del__(self):
        if getattr(self, "_raw", None):
            _rt.wasmc_host_func_release(self._raw)
            self._raw = None


class Export:
    """An exported function of an instance: call it with Python values."""

    def __init__(self, instance, name, funcref):
        self.instance, self.name, self._funcref = instance, name, funcref
        type_index = _rt.wasmc_module_type_of_signature(instance.module._raw, funcref.contents.type_id)
        self.params, self.results = instance.module._type(type_index)

    def __call__(self, *args):
        if len(args) != len(self.params):
            raise TypeError(f"{self.name} takes {len(self.params)} arguments ({', '.join(self.params)}), got {len(args)}")
        io = (Value * max(len(self.params), len(self.results), 1))()
        for i, (kind, value) in enumerate(zip(self.params, args)):
            _to_value(kind, value, io[i])
        instance = self.instance
        for function in instance._host_functions:
            function._failure = None
        code = _rt.wasmc_call(instance.store, self._funcref, io)
        if code == TRAP_HOST:
            exit_code = ctypes.c_int()
            if instance.wasi and _rt.wasmc_wasi_exited(instance.wasi._raw, ctypes.byref(exit_code)):
                raise Exit(exit_code.value)
            failure = next((f._failure for f in instance._host_functions if f._failure is not None), None)
            if failure is not None:
                raise failure
        if code == EXCEPTION:
            raise Error(f"{self.name}: a wasm exception was not caught")
        if code != TRAP_NONE:
            raise Trap(code)
        values = [_from_value(kind, io[i]) for i, kind in enumerate(self.results)]
        return None if not values else values[0] if len(values) == 1 else tuple(values)


class Memory:
    """An exported memory: its bytes as a buffer, without copying. The memory's base address
    never moves; its size changes with memory.grow, so take a new view after growing it."""

    def __init__(self, instance, raw):
        self.instance, self._raw = instance, raw

    @property
    def size(self):
        return self._raw.contents.size

    def buffer(self):
        """A writable memoryview of the whole memory."""
        array = (ctypes.c_uint8 * self.size).from_address(self._raw.contents.base)
        return memoryview(array).cast("B")

    def read(self, offset, length):
        if offset < 0 or length < 0 or offset + length > self.size:
            raise IndexError(f"bytes {offset}..{offset + length} are outside the memory ({self.size} bytes)")
        return ctypes.string_at(self._raw.contents.base + offset, length)

    def write(self, offset, data):
        data = bytes(data)
        if offset < 0 or offset + len(data) > self.size:
            raise IndexError(f"bytes {offset}..{offset + len(data)} are outside the memory ({self.size} bytes)")
        ctypes.memmove(self._raw.contents.base + offset, data, len(data))

    def grow(self, pages):
        """Grows the memory; the old size in pages, or -1 when it cannot grow."""
        return _rt.wasmc_memory_grow(ctypes.cast(self._raw, ctypes.c_void_p), pages)

    def numpy(self, dtype="uint8", offset=0, count=None):
        """A numpy array over the memory's bytes from `offset` (zero-copy: writes reach wasm)."""
        import numpy
        itemsize = numpy.dtype(dtype).itemsize
        if count is None:
            count = (self.size - offset) // itemsize
        if offset < 0 or offset + count * itemsize > self.size:
            raise IndexError(f"{count} items of {dtype} at {offset} are outside the memory ({self.size} bytes)")
        return numpy.frombuffer(self.buffer(), dtype=dtype, count=count, offset=offset)


class Global:
    """An exported global: `value`, settable when it is mutable."""

    def __init__(self, raw, instance=None):
        self._raw, self.instance = raw, instance

    @property
    def kind(self):
        return KIND_NAMES[self._raw.kind]

    @property
    def value(self):
        return _from_value(self.kind, self._raw.cell.contents)

    @value.setter
    def value(self, value):
        if not self._raw.mutable:
            raise AttributeError("the global is immutable")
        _to_value(self.kind, value, self._raw.cell.contents)


class _Exports:
    def __init__(self, instance):
        self._instance = instance

    def __getitem__(self, name):
        extern = _Extern()
        data = name.encode()
        if not _rt.wasmc_instance_export_bytes(self._instance._raw, data, len(data), ctypes.byref(extern)):
            raise KeyError(name)
        if extern.kind == EXTERN_FUNC:
            return Export(self._instance, name, extern.of.func)
        if extern.kind == EXTERN_MEMORY:
            return Memory(self._instance, extern.of.memory)
        if extern.kind == EXTERN_GLOBAL:
            return Global(extern.of.glob, self._instance)
        raise KeyError(f"{name}: tables and tags are not exposed to Python")

    def __contains__(self, name):
        try:
            self[name]
            return True
        except KeyError:
            return False


class WASI:
    """WASI preview1 for one instance: the program's arguments, environment and directories
    (`dirs`: guest name → host directory), and its standard streams (file descriptors of this
    process; the context works on duplicates)."""

    def __init__(self, args=("program",), env=None, dirs=None, stdin=0, stdout=1, stderr=2, module=None):
        self._keep = [arg.encode() for arg in args], [f"{k}={v}".encode() for k, v in (env or {}).items()]
        argv = (ctypes.c_char_p * max(len(self._keep[0]), 1))(*self._keep[0])
        envp = (ctypes.c_char_p * max(len(self._keep[1]), 1))(*self._keep[1])
        preopens = (_Preopen * max(len(dirs or {}), 1))(
            *[_Preopen(os.fspath(host).encode(), guest.encode()) for guest, host in (dirs or {}).items()])
        config = _WASIConfig()
        _rt.wasmc_wasi_config_init(ctypes.byref(config))
        config.argv, config.argc = argv, len(self._keep[0])
        config.env, config.envc = envp, len(self._keep[1])
        config.preopens, config.npreopens = preopens, len(dirs or {})
        config.stdin_fd, config.stdout_fd, config.stderr_fd = stdin, stdout, stderr
        config.module = module._raw if module else None
        self._arrays = argv, envp, preopens
        error = _Error()
        self._raw = _rt.wasmc_wasi_new(ctypes.byref(config), ctypes.byref(error))
        if not self._raw:
            _raise(error)

    def __del__(self):
        if getattr(self, "_raw", None):
            _rt.wasmc_wasi_delete(self._raw)
            self._raw = None

    def run(self, instance):
        """Runs the program's _start: its exit status (0 when _start returns)."""
        status, error = ctypes.c_int(), _Error()
        if _rt.wasmc_wasi_run(self._raw, instance.store, instance._raw, ctypes.byref(status), ctypes.byref(error)):
            _raise(error)
        return status.value


class Store:
    """What instances that call each other share: a wasm call runs in one store (its stack
    limit, the exception it ended with). Instances made without one get a store of their own."""

    def __init__(self):
        self._raw = _rt.wasmc_store_new()
        if not self._raw:
            raise MemoryError("wasmc: cannot allocate a store")

    def __del__(self):
        if getattr(self, "_raw", None):
            _rt.wasmc_store_delete(self._raw)
            self._raw = None


class Instance:
    """An instance of a module. `imports` maps (module, name) to a `Function` of Python's, or to
    an export of another instance (a function, memory or global from `exports[...]`), which
    links the two: a function of another instance must be of the same `store`. `wasi` supplies
    the wasi_snapshot_preview1 imports."""

    def __init__(self, module, imports=None, wasi=None, store=None):
        self.module, self.wasi = module, wasi
        self._store = store or Store()  # kept alive as long as the instance
        self.store = self._store._raw
        imports = imports or {}
        self._host_functions = [f for f in imports.values() if isinstance(f, Function)]
        self._linked = [x.instance for x in imports.values() if isinstance(x, (Export, Memory, Global)) and x.instance]
        self._raw = None
        entries = module.imports
        externs = (_Extern * max(len(entries), 1))()
        error = _Error()
        if wasi and _rt.wasmc_wasi_imports(wasi._raw, module._raw, externs, ctypes.byref(error)):
            _raise(error)
        for index, (module_name, name, kind) in enumerate(entries):
            if externs[index].is_host:
                continue
            provided = imports.get((module_name, name))
            if provided is None:
                raise Error(f"unknown import {module_name}.{name}")
            self._bind(externs[index], f"{module_name}.{name}", kind, provided)
        self._raw = _rt.wasmc_instantiate(self.store, module._raw, externs, len(entries), ctypes.byref(error))
        if not self._raw:
            _raise(error)
        if wasi:
            _rt.wasmc_wasi_bind(wasi._raw, self._raw)
        self.exports = _Exports(self)

    def _bind(self, extern, what, kind, provided):
        """Fills `extern` with what is `provided` for an import of `kind` named `what`."""
        expected = {Function: "func", Export: "func", Memory: "memory", Global: "global"}.get(type(provided))
        if expected != kind:
            raise Error(f"{what}: a {kind} import cannot be given a {type(provided).__name__}")
        if isinstance(provided, Function):
            extern.kind, extern.is_host = EXTERN_FUNC, 1
            extern.of.host = provided._raw
        elif isinstance(provided, Export):
            if provided.instance.store != self.store:
                raise Error(f"{what}: a function of another instance can only be imported within its store "
                            "(pass store= to both)")
            extern.kind, extern.of.func = EXTERN_FUNC, provided._funcref
        elif isinstance(provided, Memory):
            extern.kind, extern.of.memory = EXTERN_MEMORY, provided._raw
        else:
            extern.kind, extern.of.glob = EXTERN_GLOBAL, provided._raw

    def __del__(self):
        if getattr(self, "_raw", None):
            _rt.wasmc_instance_delete(self._raw)
            self._raw = None
