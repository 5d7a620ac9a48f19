#!/usr/bin/env python3
"""The benchmark orchestrator: runs every kernel on every engine, interleaved, and writes the
results table, CSV and chart.

Engines: native (clang-19 -O3 -march=native, dlopen'ed), wasmc (AOT .so through the Swift shim),
WasmKit (interpreter, in-process Swift), Wasmtime (JIT, PyPI `wasmtime`). The first three run in
`wasmc-bench` worker processes (Benchmarks/Harness), Wasmtime in this process. Each measurement is
one bench_run call after an untimed bench_init; engines take turns within every round, so slow
drifts of this noisy machine hit all engines alike, and ratios are computed pair by pair within
the same run.

Called by scripts/bench, which builds everything first.
"""
import argparse
import csv
import datetime
import json
import math
import os
import platform
import statistics
import subprocess
import sys
import time

import wasmtime

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "scripts"))
from wasm_binary import code_size  # noqa: E402

LARGE, SMALL = 1, 0


class WorkerEngine:
    """An engine running in a wasmc-bench worker process, spoken to over pipes."""

    def __init__(self, name, binary):
        self.name = name
        self.process = subprocess.Popen([binary, name], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)

    def ask(self, command):
        self.process.stdin.write(command + "\n")
        self.process.stdin.flush()
        line = self.process.stdout.readline()
        if not line:
            raise RuntimeError(f"{self.name} worker died on: {command}")
        reply = json.loads(line)
        if "error" in reply:
            raise RuntimeError(f"{self.name}: {command}: {reply['error']}")
        return reply

    def load(self, kernel, path):
        return self.ask(f"load {kernel} {path}")

    def run(self, kernel, size):
        reply = self.ask(f"run {kernel} {size}")
        return reply["seconds"], reply["checksum"]

    def close(self):
        try:
            self.process.stdin.write("quit\n")
            self.process.stdin.flush()
        except BrokenPipeError:
            pass
        self.process.wait(timeout=30)


class WasmtimeEngine:
    """Wasmtime through its Python API; compile time is measured apart from run time."""

    name = "wasmtime"

    def __init__(self):
        self.engine = wasmtime.Engine()
        self.kernels = {}

    def load(self, kernel, path):
        with open(path, "rb") as f:
            wasm = f.read()
        start = time.perf_counter()
        module = wasmtime.Module(self.engine, wasm)
        compiled = time.perf_counter()
        store = wasmtime.Store(self.engine)
        instance = wasmtime.Instance(store, module, [])
        instantiated = time.perf_counter()
        exports = instance.exports(store)
        self.kernels[kernel] = (store, exports["bench_init"], exports["bench_run"], exports["bench_checksum"])
        return {"compile_s": compiled - start, "instantiate_s": instantiated - compiled}

    def run(self, kernel, size):
        store, init, run, checksum = self.kernels[kernel]
        init(store, size)
        start = time.perf_counter()
        run(store)
        seconds = time.perf_counter() - start
        return seconds, checksum(store)

    def close(self):
        pass


def geomean(values):
    values = [v for v in values if v and v > 0]
    return math.exp(sum(math.log(v) for v in values) / len(values)) if values else float("nan")


def checksums_agree(a, b, tolerance):
    if a == b:
        return True
    return abs(a - b) <= tolerance * max(abs(a), abs(b), 1e-300)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--build", required=True, help="folder with NAME.wasm and NAME.native.so")
    parser.add_argument("--worker", required=True, help="path of the wasmc-bench binary")
    parser.add_argument("--kernels", required=True, help="comma-separated kernel names")
    parser.add_argument("--simd-kernels", default="", help="kernels counted as SIMD ML kernels")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--warmup", type=int, default=1)
    parser.add_argument("--quick", action="store_true", help="fewer rounds, no -O0..-O3 compile sweep")
    parser.add_argument("--tolerance", type=float, default=1e-9, help="relative checksum tolerance against native (double kernels)")
    parser.add_argument("--float-tolerance", type=float, default=1e-5, help="the same for the single-precision ML kernels")
    parser.add_argument("--compile-modules", default="", help="comma-separated .wasm files measured for compile time only, at -O0..-O3")
    parser.add_argument("--compile-profiles", default="",
                        help="comma-separated profiles of the --compile-modules, in their order (empty: none), "
                             "for a compile at -O2 with the profile")
    parser.add_argument("--out", required=True, help="results folder")
    args = parser.parse_args()

    kernels = [k for k in args.kernels.split(",") if k]
    simd_kernels = set(k for k in args.simd_kernels.split(",") if k)
    rounds = min(args.rounds, 3) if args.quick else args.rounds

    engines = {
        "native": WorkerEngine("native", args.worker),
        "wasmc": WorkerEngine("wasmc", args.worker),
        "wasmtime": WasmtimeEngine(),
        "wasmkit": WorkerEngine("wasmkit", args.worker),
    }
    # Large inputs: the engines that aim at native speed. Small inputs: wasmc against the
    # interpreter (and native, for reference).
    large_engines = ["native", "wasmc", "wasmtime"]
    small_engines = ["native", "wasmc", "wasmkit"]

    rows = []          # one per kernel × size × engine
    load_info = {}     # (kernel, engine) -> load reply
    problems = []
    try:
        for kernel in kernels:
            wasm = os.path.join(args.build, f"{kernel}.wasm")
            native = os.path.join(args.build, f"{kernel}.native.so")
            for name, engine in engines.items():
                load_info[(kernel, name)] = engine.load(kernel, native if name == "native" else wasm)
            for size, names in ((LARGE, large_engines), (SMALL, small_engines)):
                times = {name: [] for name in names}
                checksums = {}
                for round_index in range(args.warmup + rounds):
                    # Rotate the order every round so no engine always runs first.
                    order = names[round_index % len(names):] + names[:round_index % len(names)]
                    for name in order:
                        # In quick mode the interpreter runs once, unwarmed: its gap to the
                        # compiled engines is far larger than its run-to-run noise.
                        if args.quick and name == "wasmkit" and round_index != args.warmup:
                            continue
                        seconds, checksum = engines[name].run(kernel, size)
                        checksums[name] = checksum
                        if round_index >= args.warmup:
                            times[name].append(seconds)
                # Native code may contract a*b+c into FMA, so it agrees within a tolerance (single
                # precision for the ML kernels); wasm engines must agree with each other exactly.
                reference = checksums["native"]
                tolerance = args.float_tolerance if kernel in simd_kernels else args.tolerance
                wasm_reference = checksums["wasmc"]
                for name in names:
                    ok = checksums_agree(checksums[name], reference, tolerance)
                    if name != "native" and checksums[name] != wasm_reference:
                        ok = False
                        problems.append(f"{kernel} size {size}: {name} checksum {checksums[name]!r} != wasmc {wasm_reference!r}")
                    if not ok:
                        problems.append(f"{kernel} size {size}: {name} checksum {checksums[name]!r} != native {reference!r}")
                    rows.append({
                        "kernel": kernel, "size": "large" if size == LARGE else "small", "engine": name,
                        "median_s": statistics.median(times[name]), "min_s": min(times[name]),
                        "runs": len(times[name]), "checksum": checksums[name], "checksum_ok": ok,
                    })
                print(f"{kernel:>20} {'large' if size == LARGE else 'small'}: " + "  ".join(
                    f"{name} {statistics.median(times[name]) * 1000:9.2f} ms" for name in names), flush=True)

        # Compile time per module at each -O level (wasmc), and call overhead.
        compile_rows = []
        levels = [2] if args.quick else [0, 1, 2, 3]
        for kernel in kernels:
            wasm = os.path.join(args.build, f"{kernel}.wasm")
            for level in levels:
                samples = [engines["wasmc"].ask(f"compile {wasm} {level}") for _ in range(1 if args.quick else 3)]
                compile_rows.append({
                    "kernel": kernel, "level": level, "wasm_bytes": samples[0]["wasm_bytes"],
                    "seconds": statistics.median(s["seconds"] for s in samples),
                })
        # Larger real programs: compile time only, always at every level (issue 5's target).
        modules = [p for p in args.compile_modules.split(",") if p]
        profiles = args.compile_profiles.split(",") + [""] * len(modules)
        for path, profile in zip(modules, profiles):
            # Level "2p": -O2 with the module's profile (Documentation/profiles.md).
            for level in (0, 1, 2, 3) + (("2p",) if profile else ()):
                command = f"compile {path} 2 {profile}" if level == "2p" else f"compile {path} {level}"
                samples = [engines["wasmc"].ask(command) for _ in range(2)]
                compile_rows.append({
                    "kernel": os.path.basename(path), "level": level, "wasm_bytes": samples[0]["wasm_bytes"],
                    "code_bytes": code_size(path), "seconds": min(s["seconds"] for s in samples),
                })
        calls = {name: engines[name].ask("calls 200000")["ns_per_call"] for name in ("wasmc", "wasmkit")}
    finally:
        for engine in engines.values():
            engine.close()

    write_results(args, rows, compile_rows, load_info, calls, problems, kernels, simd_kernels, rounds)
    if problems:
        print("\n".join(["checksum mismatches:"] + problems), file=sys.stderr)
        sys.exit(1)


def ratio_table(rows, kernels, size, engines, baseline):
    """{kernel: {engine: median / baseline median}}"""
    medians = {(r["kernel"], r["engine"]): r["median_s"] for r in rows if r["size"] == size}
    return {k: {e: medians[(k, e)] / medians[(k, baseline)] for e in engines if (k, e) in medians} for k in kernels}


def machine_description():
    cpu = "unknown CPU"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return f"{cpu}, {os.cpu_count()} cores, {platform.system()} {platform.release()} {platform.machine()}"


def write_results(args, rows, compile_rows, load_info, calls, problems, kernels, simd_kernels, rounds):
    os.makedirs(args.out, exist_ok=True)
    large = ratio_table(rows, kernels, "large", ["native", "wasmc", "wasmtime"], "native")
    small = ratio_table(rows, kernels, "small", ["native", "wasmc", "wasmkit"], "wasmc")
    scalar = [k for k in kernels if k not in simd_kernels]
    simd = [k for k in kernels if k in simd_kernels]

    with open(os.path.join(args.out, "latest.csv"), "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0].keys()))
        writer.writeheader()
        writer.writerows(rows)

    medians = {(r["kernel"], r["size"], r["engine"]): r for r in rows}
    lines = [
        f"# wasmc benchmarks — {datetime.date.today().isoformat()}",
        "",
        f"Machine: {machine_description()}. Mode: {'quick' if args.quick else 'full'}, "
        f"{rounds} interleaved runs per engine after {args.warmup} warm-up; medians.",
        "Ratios are computed pair by pair within this run (this machine is noisy; absolute times",
        "from different runs are not comparable).",
        "",
        "## Large inputs: time relative to native (lower is better)",
        "",
        "| kernel | native ms | wasmc ms | wasmtime ms | wasmc / native | wasmtime / native |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for k in kernels:
        n, w, t = (medians[(k, "large", e)]["median_s"] * 1000 for e in ("native", "wasmc", "wasmtime"))
        mark = " (SIMD)" if k in simd_kernels else ""
        lines.append(f"| {k}{mark} | {n:.1f} | {w:.1f} | {t:.1f} | {large[k]['wasmc']:.3f} | {large[k]['wasmtime']:.3f} |")
    lines += [
        "",
        f"- Scalar numeric kernels, geomean wasmc / native: **{geomean([large[k]['wasmc'] for k in scalar]):.3f}** "
        f"(Wasmtime: {geomean([large[k]['wasmtime'] for k in scalar]):.3f}); target ≤ 1.05.",
    ]
    if simd:
        lines.append(
            f"- SIMD ML kernels, geomean wasmc / native: **{geomean([large[k]['wasmc'] for k in simd]):.3f}** "
            f"(Wasmtime: {geomean([large[k]['wasmtime'] for k in simd]):.3f}); target ≤ 1.00.")
    lines += [
        "",
        "## Small inputs: WasmKit interpreter against wasmc",
        "",
        "| kernel | native ms | wasmc ms | WasmKit ms | WasmKit / wasmc |",
        "|---|---:|---:|---:|---:|",
    ]
    for k in kernels:
        n, w, i = (medians[(k, "small", e)]["median_s"] * 1000 for e in ("native", "wasmc", "wasmkit"))
        lines.append(f"| {k} | {n:.2f} | {w:.2f} | {i:.1f} | {small[k]['wasmkit']:.1f} |")
    lines += [
        "",
        f"- Geomean speed-up of wasmc over WasmKit: **{geomean([small[k]['wasmkit'] for k in kernels]):.1f}×**; target ≥ 25×.",
        "",
        "## Compile and instantiate",
        "",
        "| kernel | wasm KB | " + " | ".join(f"-O{r['level']} s" for r in compile_rows if r["kernel"] == kernels[0])
        + " | s per KB (default -O2) | wasmc instantiate ms | Wasmtime compile s |",
        "|---|---:|" + "---:|" * (len([r for r in compile_rows if r["kernel"] == kernels[0]]) + 3),
    ]
    for k in kernels:
        entries = [r for r in compile_rows if r["kernel"] == k and "code_bytes" not in r]
        kb = entries[0]["wasm_bytes"] / 1024
        default = next((r["seconds"] for r in entries if r["level"] == 2), entries[0]["seconds"])
        lines.append(
            f"| {k} | {kb:.1f} | " + " | ".join(f"{r['seconds']:.3f}" for r in entries)
            + f" | {default / kb:.4f} | {load_info[(k, 'wasmc')]['instantiate_s'] * 1000:.2f}"
            + f" | {load_info[(k, 'wasmtime')]['compile_s']:.3f} |")
    programs = [r for r in compile_rows if "code_bytes" in r]
    if programs:
        lines += [
            "",
            "### Compile time of larger programs (target: ≤ 0.5 s for ~120 KB at the default -O2)",
            "",
            "| module | code KB | -O0 s | -O1 s | -O2 s | -O3 s | -O2 s per code KB | -O2 with a profile s |",
            "|---|---:|---:|---:|---:|---:|---:|---:|",
        ]
        for name in dict.fromkeys(r["kernel"] for r in programs):
            entries = {r["level"]: r for r in programs if r["kernel"] == name}
            kb = entries[0]["code_bytes"] / 1024
            profiled = f"{entries['2p']['seconds']:.2f}" if "2p" in entries else "—"
            lines.append(f"| {name} | {kb:.1f} | " + " | ".join(f"{entries[l]['seconds']:.2f}" for l in range(4))
                         + f" | {entries[2]['seconds'] / kb:.4f} | {profiled} |")
        if any(r["level"] == "2p" for r in programs):
            lines += ["", "With a profile: the functions that did 99.9% of the counted work of a typical run at -O2, "
                      "the rest at -O0 (`wasmc compile --profile`, Documentation/profiles.md); jsonpp's profile "
                      "comes from `pretty` and `stats` on a generated 1.3 MB document (scripts/bench)."]
    lines += [
        "",
        "## Host → wasm call overhead",
        "",
        f"- wasmc (Swift shim, `Function.call` with boxed values): {calls['wasmc']:.0f} ns per call",
        f"- WasmKit: {calls['wasmkit']:.0f} ns per call",
    ]
    if problems:
        lines += ["", "## Checksum mismatches", ""] + [f"- {p}" for p in problems]
    with open(os.path.join(args.out, "latest.md"), "w") as f:
        f.write("\n".join(lines) + "\n")

    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axis = plt.subplots(figsize=(max(8, len(kernels) * 0.6), 4.5))
    width = 0.4
    xs = range(len(kernels))
    axis.bar([x - width / 2 for x in xs], [large[k]["wasmc"] for k in kernels], width, label="wasmc")
    axis.bar([x + width / 2 for x in xs], [large[k]["wasmtime"] for k in kernels], width, label="Wasmtime")
    axis.axhline(1.0, color="black", linewidth=0.8)
    axis.set_xticks(list(xs))
    axis.set_xticklabels(kernels, rotation=60, ha="right")
    axis.set_ylabel("time / native (lower is better)")
    axis.set_title(f"wasmc vs Wasmtime, relative to native — {datetime.date.today().isoformat()}")
    axis.legend()
    figure.tight_layout()
    figure.savefig(os.path.join(args.out, "latest.png"), dpi=110)
    print(f"wrote {args.out}/latest.md, latest.csv, latest.png")


if __name__ == "__main__":
    main()
