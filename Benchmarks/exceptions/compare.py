#!/usr/bin/env python3
"""Times the exception-handling cases of exceptions.wat in wasmc and in Wasmtime, interleaved,
and writes a table (Benchmarks/results/exceptions.md; scripts/bench runs it).

    compare.py LIBWASMC_RUNTIME.so EXCEPTIONS.so [--rounds R] [--seconds S] [--quick] [--out FILE]

EXCEPTIONS.so is exceptions.wasm compiled by `wasmc compile`; libwasmc_runtime.so is the C runtime
built as a shared library (scripts/bench builds it with CMake). wasmc is called through the
wasmc Python package (Runtime/python) over it: one call per measurement, whose N iterations
(calibrated per case and engine to about S seconds) make the call overhead negligible. Each round times every case in both engines
before the next round starts. The checksums must be what run_wasmtime.checksum says.
"""
import argparse
import importlib.metadata
import os
import statistics
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import run_wasmtime  # noqa: E402  (CASES, checksum, load, calibrate)

sys.path.insert(0, os.path.join(HERE, ".."))
import wasmc_package  # noqa: E402


class Wasmc:
    """The compiled module's exports as callables store, n -> checksum (like Wasmtime's)."""

    def __init__(self, runtime_path, module_path):
        wasmc = wasmc_package.load(runtime_path)
        self.instance = wasmc.Instance(wasmc.Module(module_path))

    def function(self, name):
        export = self.instance.exports[name]
        return lambda _store, n: export(n)


def main(argv):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("runtime")
    parser.add_argument("module")
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--seconds", type=float, default=0.2)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--out", default=os.path.join(HERE, "..", "results", "exceptions.md"))
    args = parser.parse_args(argv)
    if args.quick:
        args.rounds, args.seconds = 3, 0.05

    wasmc = Wasmc(args.runtime, args.module)
    store, exports, _ = run_wasmtime.load(os.path.join(HERE, "exceptions.wasm"))
    engines = {
        "wasmc": {name: (None, wasmc.function(name)) for name, _ in run_wasmtime.CASES},
        "wasmtime": {name: (store, exports[name]) for name, _ in run_wasmtime.CASES},
    }
    sizes = {}
    for engine, functions in engines.items():
        for name, (s, f) in functions.items():
            n = run_wasmtime.calibrate(s, f, args.seconds)
            sizes[engine, name] = n
            f(s, n)  # warm-up
    samples = {key: [] for key in sizes}
    failures = []
    for _ in range(args.rounds):
        for name, _ in run_wasmtime.CASES:
            for engine, functions in engines.items():
                s, f = functions[name]
                n = sizes[engine, name]
                start = time.perf_counter_ns()
                got = f(s, n)
                samples[engine, name].append((time.perf_counter_ns() - start) / n)
                if got != run_wasmtime.checksum(name, n):
                    failures.append(f"{engine} {name}({n}) = {got}")

    lines = [
        "# Exception handling: wasmc vs Wasmtime",
        "",
        f"Written by `scripts/bench` (Benchmarks/exceptions/compare.py): {args.rounds} rounds, about "
        f"{args.seconds} s per call, median ns per iteration (fastest in parentheses). Wasmtime "
        f"{importlib.metadata.version('wasmtime')} (PyPI, exceptions enabled). Cases: "
        "Benchmarks/exceptions/README.md.",
        "",
        "| case | what | wasmc | Wasmtime | wasmc / Wasmtime |",
        "|---|---|---:|---:|---:|",
    ]
    for name, what in run_wasmtime.CASES:
        a, b = samples["wasmc", name], samples["wasmtime", name]
        ratio = statistics.median(a) / statistics.median(b)
        lines.append(f"| {name} | {what} | {statistics.median(a):.2f} ({min(a):.2f}) | "
                     f"{statistics.median(b):.2f} ({min(b):.2f}) | {ratio:.2f} |")
    plain, in_try = statistics.median(samples["wasmc", "plain"]), statistics.median(samples["wasmc", "in_try"])
    lines += ["", f"wasmc: a call inside a try_table costs {in_try - plain:+.2f} ns per iteration against the "
              "same call outside one (nothing thrown)."]
    if failures:
        lines += ["", "WRONG CHECKSUMS: " + "; ".join(failures)]
    text = "\n".join(lines) + "\n"
    with open(args.out, "w") as f:
        f.write(text)
    print(text)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
