#!/usr/bin/env python3
"""Times the exception-handling benchmarks of exceptions.wat in Wasmtime and prints a table.

    run_wasmtime.py [--rounds R] [--seconds S] [--quick] [--csv FILE] [--module exceptions.wat]

Each case (an export taking an iteration count N and returning a checksum) is calibrated so
that one call lasts about S seconds (default 0.2), then called R times (default 7) after one
untimed warm-up call; the table gives the median and the fastest call in nanoseconds per
iteration, N, and whether every checksum was the expected one. Compiling the module is timed
apart and excluded. --quick: 3 rounds of about 0.05 s.

Other harnesses can import CASES, checksum(name, n) and calibrate()."""
import argparse
import csv
import importlib.metadata
import os
import statistics
import sys
import time

import wasmtime

HERE = os.path.dirname(os.path.abspath(__file__))

# export name -> what it measures (the README has the details)
CASES = [
    ("plain", "call, no try_table"),
    ("in_try", "call inside try_table, no throw"),
    ("throw_local", "throw, caught in the same function"),
    ("throw1", "throw to catch, 1 frame"),
    ("throw10", "throw to catch, 10 frames"),
    ("throw100", "throw to catch, 100 frames"),
]
DEPTH = {"throw1": 1, "throw10": 10, "throw100": 100}
MASK = 0xFFFFFFFF


def work_sum(n):
    """sum of work(i) for i < n, work(x) = ((x * 0x9e3779b1 mod 2^32) >> 7) ^ x, mod 2^32."""
    try:
        import numpy as np
    except ImportError:
        return sum((((x * 0x9E3779B1) & MASK) >> 7) ^ x for x in range(n)) & MASK
    total = 0
    step = 1 << 22
    for start in range(0, n, step):
        x = np.arange(start, min(n, start + step), dtype=np.uint64)
        total += int(((((x * np.uint64(0x9E3779B1)) & np.uint64(MASK)) >> np.uint64(7)) ^ x).sum())
    return total & MASK


def checksum(name, n):
    """The i32 each export returns for N iterations, as a signed Python int."""
    if name in ("plain", "in_try"):
        total = work_sum(n)
    elif name == "throw_local":
        total = (n * (n - 1) // 2) & MASK
    else:
        d = DEPTH[name]
        total = (n * (n - 1) // 2 + n * (d - 1)) & MASK
    return total - (1 << 32) if total & 0x80000000 else total


def load(path):
    config = wasmtime.Config()
    config.wasm_exceptions = True
    engine = wasmtime.Engine(config)
    start = time.perf_counter()
    if path.endswith(".wat"):
        with open(path) as f:
            module = wasmtime.Module(engine, f.read())
    else:
        module = wasmtime.Module.from_file(engine, path)
    compile_seconds = time.perf_counter() - start
    store = wasmtime.Store(engine)
    instance = wasmtime.Instance(store, module, [])
    return store, instance.exports(store), compile_seconds


def timed(store, func, n):
    start = time.perf_counter_ns()
    result = func(store, n)
    return time.perf_counter_ns() - start, result


def calibrate(store, func, seconds, limit=1 << 30):
    """An N for which one call takes about `seconds` (a power of two, at most `limit`)."""
    n = 1024
    while True:
        elapsed, _ = timed(store, func, n)
        if elapsed >= seconds * 1e9 / 4 or n >= limit:
            break
        n *= 2
    scaled = int(n * seconds * 1e9 / max(elapsed, 1))
    return max(1024, min(limit, scaled))


def main(argv):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--module", default=os.path.join(HERE, "exceptions.wat"))
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--seconds", type=float, default=0.2)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--csv", help="also write every measurement to this file")
    parser.add_argument("--cases", help="comma-separated subset of: " + ",".join(c for c, _ in CASES))
    args = parser.parse_args(argv)
    if args.quick:
        args.rounds, args.seconds = 3, 0.05
    wanted = args.cases.split(",") if args.cases else [c for c, _ in CASES]

    store, exports, compile_seconds = load(args.module)
    print(f"Wasmtime {importlib.metadata.version('wasmtime')} (PyPI wasmtime), "
          f"module compiled in {compile_seconds * 1000:.1f} ms (excluded)")
    rows = []
    failures = 0
    header = f"{'case':<13} {'what':<36} {'N':>10} {'ns/iter':>10} {'min':>10}  checksum"
    print(header)
    print("-" * len(header))
    for name, what in CASES:
        if name not in wanted:
            continue
        func = exports[name]
        n = calibrate(store, func, args.seconds)
        want = checksum(name, n)
        _, got = timed(store, func, n)  # warm-up
        ok = got == want
        samples = []
        for _ in range(args.rounds):
            elapsed, got = timed(store, func, n)
            ok = ok and got == want
            samples.append(elapsed / n)
        failures += not ok
        median, fastest = statistics.median(samples), min(samples)
        print(f"{name:<13} {what:<36} {n:>10} {median:>10.2f} {fastest:>10.2f}  {'ok' if ok else f'WRONG ({got} != {want})'}")
        rows += [{"case": name, "n": n, "round": r, "ns_per_iter": s, "checksum_ok": ok} for r, s in enumerate(samples)]
    if args.csv:
        with open(args.csv, "w", newline="") as f:
            writer = csv.DictWriter(f, fieldnames=["case", "n", "round", "ns_per_iter", "checksum_ok"])
            writer.writeheader()
            writer.writerows(rows)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
