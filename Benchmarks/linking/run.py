#!/usr/bin/env python3
"""Calls across modules (issue 19), two cases, each linked into one .so at compile time (`wasmc
compile --link`), against the same modules linked at run time through the C API (one .so per
module, each import bound to the export of another module's instance), and against Wasmtime
linking them at run time (`Linker.define_instance`). Writes Benchmarks/results/linking.md
(scripts/bench runs it).

    run.py --wasmc WASMC --runtime LIBWASMC_RUNTIME.so [--elements N] [--pipeline-elements N] [--out FILE]

- per-element: a block (main) loops over N elements and sums what dep's `pixel(i)` returns: a
  small function of a few arithmetic instructions, as a per-pixel step of an image block is.
- pipeline: examples/pipeline (built by its build.sh with clang-19): main's run(N) passes each
  element through three modules, decode → model (256 KiB of weights in a data segment) → post,
  each built by clang as a module of its own, with its own memory.

Compiled at -O2; the time is the best of 5 calls after one warm-up call, in ns per element.
The results of the three ways must agree. The pipeline also has the same C sources built into
one native program (clang-19 -O2 -flto, build.sh's `native`: the stages inlined into the
block, as in the linked .so), timed as the best of 5 runs of the whole process, which prints
run(N): the same result, again.
"""
import argparse
import os
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
BUILD = os.path.join(ROOT, "Benchmarks", "build", "linking")
sys.path.insert(0, os.path.join(ROOT, "Benchmarks"))
import results_file  # noqa: E402
import wasmc_package  # noqa: E402

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


class Case:
    """Modules to link: `main` (a path) and `deps`, (NAME, path) in instantiation order (each
    imports only from those before it); `entry(n)` is main's export called with n."""

    def __init__(self, title, main, deps, entry, n, native=None):
        self.title, self.main, self.deps, self.entry, self.n = title, main, deps, entry, n
        self.native = native  # a program of the same sources printing entry(n), or None

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


def wasmc_runs(runtime, case, so):
    """The best times of case.entry(n) linked at compile time (so["linked"]) and at run time
    (so[name] per module), with the results."""
    wasmc = wasmc_package.load(runtime)
    store = wasmc.Store()

    def instantiate(path, instances):
        """The module at `path` with each import bound to the export of that name of
        `instances[module name]`."""
        module = wasmc.Module(path)
        imports = {(m, name): instances[m].exports[name] for m, name, _ in module.imports}
        return wasmc.Instance(module, imports=imports, store=store)

    def entry(instance):
        function = instance.exports[case.entry]
        return lambda: function(case.n)

    at_compile_time = best(entry(instantiate(so["linked"], {})))
    instances = {}
    for name, _ in case.deps:
        instances[name] = instantiate(so[name], instances)
    at_run_time = best(entry(instantiate(so["main"], instances)))
    return at_compile_time, at_run_time


def wasmtime_run(case):
    import wasmtime
    engine = wasmtime.Engine()
    store = wasmtime.Store(engine)
    linker = wasmtime.Linker(engine)
    for name, path in case.deps:
        linker.define_instance(store, name, linker.instantiate(store, wasmtime.Module.from_file(engine, path)))
    function = linker.instantiate(store, wasmtime.Module.from_file(engine, case.main)).exports(store)[case.entry]
    return best(lambda: function(store, case.n))


def measure(args, case, key):
    """Compiles the case's modules, runs the three ways, and returns its table rows."""
    so = {name: os.path.join(BUILD, f"{key}-{name}.so") for name in ["main", "linked"] + [n for n, _ in case.deps]}
    links = [argument for name, path in case.deps for argument in ("--link", f"{name}={path}")]
    subprocess.run([args.wasmc, "compile", case.main, *links, "-o", so["linked"]], check=True)
    for name, path in [("main", case.main)] + case.deps:
        subprocess.run([args.wasmc, "compile", path, "-o", so[name]], check=True)
    (linked, r1), (separate, r2) = wasmc_runs(args.runtime, case, so)
    wasmtime, r3 = wasmtime_run(case)
    if not r1 == r2 == r3:
        sys.exit(f"run.py: {key}: the results differ: {r1}, {r2}, {r3}")
    per = lambda seconds: seconds * 1e9 / case.n  # noqa: E731
    modules = len(case.deps) + 1
    rows = [
        f"| {case.title}, {case.n:,} elements | wasmc, at compile time (`--link`, one .so) | {per(linked):.3f} | 1.00x |",
        f"| | wasmc, at run time ({modules} .so, the C API) | {per(separate):.3f} | {separate / linked:.2f}x |",
        f"| | Wasmtime, at run time (`Linker`) | {per(wasmtime):.3f} | {wasmtime / linked:.2f}x |",
    ]
    if case.native:
        def run_native():
            output = subprocess.run([case.native, str(case.n)], check=True, capture_output=True, text=True).stdout
            return int(output)
        native, r4 = best(run_native)
        if r4 != r1:
            sys.exit(f"run.py: {key}: the native program printed {r4}, wasmc returned {r1}")
        rows.append(f"| | native (the same C, one program, clang-19 -O2 -flto) | {per(native):.3f} | {native / linked:.2f}x |")
    return rows


def main(argv):
    parser = argparse.ArgumentParser()
    parser.add_argument("--wasmc", required=True)
    parser.add_argument("--runtime", required=True)
    parser.add_argument("--elements", type=int, default=100_000_000)
    parser.add_argument("--pipeline-elements", type=int, default=20_000_000)
    parser.add_argument("--out", default=os.path.join(ROOT, "Benchmarks", "results", "linking.md"))
    args = parser.parse_args(argv)
    os.makedirs(BUILD, exist_ok=True)
    paths = {}
    for name, text in (("main", MAIN), ("dep", DEP)):
        paths[name] = os.path.join(BUILD, name + ".wat")
        with open(paths[name], "w") as f:
            f.write(text)
    pipeline = os.path.join(BUILD, "pipeline")
    subprocess.run(["bash", os.path.join(ROOT, "examples", "pipeline", "build.sh"), pipeline], check=True)
    stage = lambda name: os.path.join(pipeline, name + ".wasm")  # noqa: E731
    cases = {
        "per-element": Case("a per-element function in another module", paths["main"], [("dep", paths["dep"])],
                            "process", args.elements),
        "pipeline": Case("examples/pipeline: decode → model → post", stage("main"),
                         [(name, stage(name)) for name in ("decode", "model", "post")], "run", args.pipeline_elements,
                         native=os.path.join(pipeline, "native")),
    }
    rows = []
    for key, case in cases.items():
        rows += measure(args, case, key)
    lines = results_file.header("Calls across modules: modules linked into one .so against linked at run time",
                                "Benchmarks/linking/run.py", "-O2") + [
        "| case | how the modules are linked | ns per element | vs linked at compile time |",
        "|---|---|---|---|",
    ] + rows
    results_file.write(args.out, lines)

if __name__ == "__main__":
    main(sys.argv[1:])
