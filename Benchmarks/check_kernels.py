#!/usr/bin/env python3
"""Checks the benchmark kernels built by scripts/build-kernels: each wasm module imports nothing,
and its checksum after bench_init(size); bench_run() matches the native build's.

  Benchmarks/check_kernels.py [--size small|large] [--time] [NAME...]

For each kernel (default: all of Benchmarks/kernels/kernels.txt):
  - NAME.native.so is loaded with ctypes; init, run and checksum twice (the second time must
    give the same checksum bit for bit: bench_run is repeatable after bench_init);
  - NAME.scalar.wasm and NAME.simd.wasm run under Wasmtime (PyPI `wasmtime`) with no imports;
  - the two wasm checksums must be identical (WebAssembly arithmetic is deterministic, and the
    vectorizer does not reorder floating-point reductions);
  - NAME.wasm must be a copy of NAME.scalar.wasm (numeric kernels) or NAME.simd.wasm (ml);
  - the wasm checksum must match the native one within a relative tolerance, because the native
    build may contract a * b + c into FMAs (clang's default -ffp-contract=on with -march=native)
    and WebAssembly has no FMA: 1e-9 for double kernels, 1e-5 for single precision ones, exact
    for the integer ones (floyd_warshall, nussinov);
  - sgemm and sgemm_simd, which add the same products in the same order, must agree exactly in
    wasm.
With --time, the native bench_run time (median of 3) is printed too.
Exit status 0 when every check passes, 1 otherwise. Needs `pip install wasmtime`.
"""
import argparse
import ctypes
import statistics
import sys
import time
from pathlib import Path

import wasmtime

BENCH = Path(__file__).resolve().parent
KERNELS = BENCH / "kernels"
BUILD = BENCH / "build"

EXACT = {"floyd_warshall", "nussinov"}
SINGLE = {"sgemm", "sgemm_simd", "conv2d", "softmax_layernorm", "mlp"}
SIZES = {"small": 0, "large": 1}


def tolerance(name):
    if name in EXACT:
        return 0.0
    return 1e-5 if name in SINGLE else 1e-9


def relative_difference(a, b):
    if a == b:
        return 0.0
    return abs(a - b) / max(abs(a), abs(b))


def kernel_groups():
    """{name: group} from kernels.txt, in its order."""
    groups = {}
    for line in (KERNELS / "kernels.txt").read_text().splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            name, group = line.split()[:2]
            groups[name] = group
    return groups


class Native:
    def __init__(self, path):
        self.lib = ctypes.CDLL(str(path))
        self.lib.bench_init.argtypes = [ctypes.c_int32]
        self.lib.bench_init.restype = None
        self.lib.bench_run.argtypes = []
        self.lib.bench_run.restype = None
        self.lib.bench_checksum.argtypes = []
        self.lib.bench_checksum.restype = ctypes.c_double

    def run(self, size):
        """Returns (checksum, seconds of bench_run)."""
        self.lib.bench_init(size)
        start = time.perf_counter()
        self.lib.bench_run()
        seconds = time.perf_counter() - start
        return self.lib.bench_checksum(), seconds


class Wasm:
    engine = wasmtime.Engine()

    def __init__(self, path):
        self.module = wasmtime.Module.from_file(self.engine, str(path))
        self.imports = [f"{i.module}.{i.name}" for i in self.module.imports]

    def run(self, size):
        store = wasmtime.Store(self.engine)
        exports = wasmtime.Instance(store, self.module, []).exports(store)
        exports["bench_init"](store, size)
        exports["bench_run"](store)
        return exports["bench_checksum"](store)


def check(name, group, size, timed):
    """Returns (list of failure strings, report line)."""
    failures = []
    native = Native(BUILD / f"{name}.native.so")
    first, seconds = native.run(size)
    second, seconds2 = native.run(size)
    times = [seconds, seconds2]
    if timed:
        times.append(native.run(size)[1])
    if first != second:
        failures.append(f"native checksum not repeatable: {first!r} then {second!r}")

    chosen = "simd.wasm" if group == "ml" else "scalar.wasm"
    if (BUILD / f"{name}.wasm").read_bytes() != (BUILD / f"{name}.{chosen}").read_bytes():
        failures.append(f"{name}.wasm is not a copy of {name}.{chosen}")

    results = {}
    for variant in ("scalar.wasm", "simd.wasm"):
        wasm = Wasm(BUILD / f"{name}.{variant}")
        if wasm.imports:
            failures.append(f"{name}.{variant} imports {', '.join(wasm.imports)}")
            continue
        results[variant] = wasm.run(size)
    if len(set(results.values())) > 1:
        failures.append(f"scalar.wasm {results['scalar.wasm']!r} != simd.wasm {results['simd.wasm']!r}")
    worst = 0.0
    for variant, value in results.items():
        diff = relative_difference(value, first)
        worst = max(worst, diff)
        if diff > tolerance(name):
            failures.append(f"{variant} {value!r} vs native {first!r}: relative difference {diff:.2e}"
                            f" > {tolerance(name):.0e}")
    line = (f"{name:18} native {first:<24.17g} wasm {results.get('scalar.wasm', float('nan')):<24.17g}"
            f" rel.diff {worst:.1e}")
    if timed:
        line += f"  native run {statistics.median(times) * 1e3:8.1f} ms"
    return failures, line, results


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", choices=SIZES, default="small")
    parser.add_argument("--time", action="store_true", help="also print native run times")
    parser.add_argument("names", nargs="*", help="kernels to check (default: all)")
    args = parser.parse_args()
    groups = kernel_groups()
    names = args.names or list(groups)
    unknown = [name for name in names if name not in groups]
    if unknown:
        print(f"no kernel named {', '.join(unknown)}", file=sys.stderr)
        return 2
    size = SIZES[args.size]
    if not BUILD.is_dir():
        print(f"{BUILD} does not exist: run scripts/build-kernels first", file=sys.stderr)
        return 1

    failed = 0
    wasm_checksums = {}
    for name in names:
        try:
            failures, line, results = check(name, groups[name], size, args.time)
        except (OSError, wasmtime.WasmtimeError, wasmtime.Trap) as error:
            failures, line, results = [str(error).splitlines()[0]], f"{name:18} error", {}
        wasm_checksums[name] = results.get("scalar.wasm")
        print(("ok   " if not failures else "FAIL ") + line, flush=True)
        for failure in failures:
            print(f"     {failure}")
        failed += bool(failures)
    if "sgemm" in wasm_checksums and "sgemm_simd" in wasm_checksums:
        a, b = wasm_checksums["sgemm"], wasm_checksums["sgemm_simd"]
        if a != b:
            print(f"FAIL sgemm and sgemm_simd differ in wasm: {a!r} vs {b!r}")
            failed += 1
    print(f"all {len(names)} kernels agree" if not failed else f"{failed} check(s) failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
