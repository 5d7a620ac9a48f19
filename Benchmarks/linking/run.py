#!/usr/bin/env python3
"""Calls across modules (issue 19): a processing block whose per-element function lives in
another module, linked into one .so at compile time (`wasmc compile --link`) against the same
two modules linked at run time through the C API, and against Wasmtime linking them at run
time. Writes Benchmarks/results/linking.md (scripts/bench runs it).

    run.py --wasmc WASMC --runtime LIBWASMC_RUNTIME.so [--elements N] [--out FILE]

The block (main) loops over N elements and sums what dep's `pixel(i)` returns: a small
function of a few arithmetic instructions, as a per-pixel step of an image block is. Compiled
at -O2; the time is the best of 5 calls of process(N) after one warm-up call, in ns per element.
"""
import argparse
import ctypes
import os
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
BUILD = os.path.join(ROOT, "Benchmarks", "build", "linking")
sys.path.insert(0, os.path.join(ROOT, "Benchmarks"))
import wasmc_api  # noqa: E402

DEP = """(module
  (func (export "pixel") (param i32) (result i32)
    (i32.and (i32.shr_u (i32.add (i32.mul (local.get 0) (i32.const 3)) (i32.const 7)) (i32.const 1))
             (i32.const 255))))
"""

MAIN = """(module
  (import "dep" "pixel" (func $pixel (param i32) (result i32)))
  (func (export "process") (param $n i32) (result i32) (local $i i32) (local $s i32)
    (block $done (loop $next
      (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
      (local.set $s (i32.add (local.get $s) (call $pixel (local.get $i))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $next)))
    (local.get $s)))
"""

ROUNDS = 5


def best(call):
    """The best time of ROUNDS calls after a warm-up one, and the result."""
    result = call()
    times = []
    for _ in range(ROUNDS):
        start = time.perf_counter()
        result = call()
        times.append(time.perf_counter() - start)
    return min(times), result


def wasmc_runs(runtime, linked, main, dep, n):
    rt = wasmc_api.load(runtime)
    error = wasmc_api.Error()
    store = rt.wasmc_store_new()

    def load(path):
        module = rt.wasmc_module_load(path.encode(), ctypes.byref(error))
        if not module:
            sys.exit(f"run.py: {error.message.decode()}")
        return module

    def instantiate(module, imports=None, count=0):
        instance = rt.wasmc_instantiate(store, module, imports, count, ctypes.byref(error))
        if not instance:
            sys.exit(f"run.py: {error.message.decode()}")
        return instance

    def export(instance, name):
        extern = wasmc_api.Extern()
        if not rt.wasmc_instance_export(instance, name.encode(), ctypes.byref(extern)):
            sys.exit(f"run.py: no export {name}")
        return extern

    def process(instance):
        function = ctypes.c_void_p(export(instance, "process").of.func)
        io = (wasmc_api.Value * 1)()

        def call():
            io[0].i32 = n
            if rt.wasmc_call(store, function, io):
                sys.exit("run.py: process trapped")
            return io[0].i32
        return call

    at_compile_time = best(process(instantiate(load(linked))))
    dependency = instantiate(load(dep))
    imports = (wasmc_api.Extern * 1)()
    imports[0] = export(dependency, "pixel")
    at_run_time = best(process(instantiate(load(main), imports, 1)))
    return at_compile_time, at_run_time


def wasmtime_run(main, dep, n):
    import wasmtime
    engine = wasmtime.Engine()
    store = wasmtime.Store(engine)
    linker = wasmtime.Linker(engine)
    linker.define_instance(store, "dep", wasmtime.Instance(store, wasmtime.Module.from_file(engine, dep), []))
    process = linker.instantiate(store, wasmtime.Module.from_file(engine, main)).exports(store)["process"]
    return best(lambda: process(store, n))


def main(argv):
    parser = argparse.ArgumentParser()
    parser.add_argument("--wasmc", required=True)
    parser.add_argument("--runtime", required=True)
    parser.add_argument("--elements", type=int, default=100_000_000)
    parser.add_argument("--out", default=os.path.join(ROOT, "Benchmarks", "results", "linking.md"))
    args = parser.parse_args(argv)
    os.makedirs(BUILD, exist_ok=True)
    paths = {}
    for name, text in (("main", MAIN), ("dep", DEP)):
        paths[name] = os.path.join(BUILD, name + ".wat")
        with open(paths[name], "w") as f:
            f.write(text)
    so = {name: os.path.join(BUILD, name + ".so") for name in ("main", "dep", "linked")}
    subprocess.run([args.wasmc, "compile", paths["main"], "--link", "dep=" + paths["dep"], "-o", so["linked"]], check=True)
    subprocess.run([args.wasmc, "compile", paths["main"], "-o", so["main"]], check=True)
    subprocess.run([args.wasmc, "compile", paths["dep"], "-o", so["dep"]], check=True)
    n = args.elements
    (linked, r1), (separate, r2) = wasmc_runs(args.runtime, so["linked"], so["main"], so["dep"], n)
    wasmtime, r3 = wasmtime_run(paths["main"], paths["dep"], n)
    if not r1 == r2 == r3:
        sys.exit(f"run.py: the results differ: {r1}, {r2}, {r3}")
    per = lambda seconds: seconds * 1e9 / n  # noqa: E731
    lines = [
        "# Calls across modules: a per-element function in another module",
        "",
        "Written by `Benchmarks/linking/run.py` (`scripts/bench`); what each figure is: its docstring.",
        f"Machine: {os.cpu_count()} cores, Linux {os.uname().release}; {n:,} elements, -O2.",
        "",
        "| how the two modules are linked | ns per element | vs linked at compile time |",
        "|---|---|---|",
        f"| wasmc, at compile time (`--link`, one .so) | {per(linked):.3f} | 1.00x |",
        f"| wasmc, at run time (two .so, the C API) | {per(separate):.3f} | {separate / linked:.2f}x |",
        f"| Wasmtime, at run time (`Linker`) | {per(wasmtime):.3f} | {wasmtime / linked:.2f}x |",
    ]
    with open(args.out, "w") as f:
        f.write("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main(sys.argv[1:])
