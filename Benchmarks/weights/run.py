#!/usr/bin/env python3
"""Instantiating modules that carry weights in a data segment (issue 18): wasmc maps the data
image copy-on-write, Wasmtime maps its memory image; both beside copying. Writes
Benchmarks/results/weights.md (scripts/bench runs it).

    run.py --wasmc WASMC --runtime LIBWASMC_RUNTIME.so [--sizes 64,512] [--rounds N] [--out FILE]

For each size S (MiB) a module holds one active data segment of S MiB of weights at 1 MiB, and
exports touch() (reads one byte of every 4 KiB page of the memory: what inference does to the
weights) and noop(). Measured, each in a process of its own on an idle machine:
- `wasmc run M.so --invoke noop`: median wall time and peak RSS of 20 runs, beside the same for
  a module without data (the issue's check: under 5 ms and 8 MB more for 64 MiB).
- Through the API (wasmc's C runtime through the Python package's ctypes bindings; Wasmtime's Python package), the module loaded
  (wasmc) or compiled (Wasmtime) first: the median time of instantiate + delete; resident memory
  (RSS, and PSS: a page mapped by k instances counts 1/k in each) added by one instance, by one
  after touch(), and by four instances after each ran touch().
- Copying, for comparison: wasmc with the segment at an offset an imported global gives at
  instantiation, 1 MiB + 1, which no page of the file can be mapped to (so it is copied, as
  every segment was before the data image).
"""
import argparse
import ctypes
import json
import os
import random
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
BUILD = os.path.join(ROOT, "Benchmarks", "build", "weights")
OFFSET = 1 << 20
sys.path[:0] = [os.path.join(ROOT, "scripts"), os.path.join(ROOT, "Benchmarks")]
from wasm_binary import leb, name, section, sleb, vec  # noqa: E402
import results_file  # noqa: E402
import wasmc_package  # noqa: E402


def module(size, at_global=False):
    """A module whose memory holds `size` bytes of weights at OFFSET (or at env.base)."""
    pages = (OFFSET + size) // 65536 + 16
    out = b"\0asm\1\0\0\0" + section(1, vec([b"\x60\x00\x01\x7f", b"\x60\x00\x00"]))
    if at_global:
        out += section(2, vec([name("env") + name("base") + b"\x03\x7f\x00"]))
    out += section(3, vec([leb(0), leb(1)]))
    out += section(5, vec([b"\x00" + leb(pages)]))
    out += section(7, vec([name("touch") + b"\x00\x00", name("noop") + b"\x00\x01"]))
    # touch: (local i, s) i = 0; while i < memory.size * 65536: s += load8_u(i); i += 4096
    touch = bytes.fromhex(
        "01027f"
        "0240 0340"
        "2000 3f00 4110 74 4f 0d01"
        "2001 2000 2d0000 6a 2101"
        "2000 418020 6a 2100 0c00"
        "0b0b 2001 0b".replace(" ", "")
    )
    noop = b"\x00\x0b"
    out += section(10, vec([leb(len(b)) + b for b in (touch, noop)]))
    chunk = random.Random(size).randbytes(min(size, 1 << 24)) if size else b""
    weights = chunk * (size // len(chunk)) if size else b""  # 16 MiB of noise, repeated
    offset = b"\x23\x00\x0b" if at_global else b"\x41" + sleb(OFFSET) + b"\x0b"
    segments = [b"\x00" + offset + leb(len(weights)) + weights] if size else []
    return out + section(11, vec(segments))


# ---- measuring in a process of its own ------------------------------------------------------

def memory_now():
    """(RSS, PSS) of this process in bytes."""
    values = {}
    with open("/proc/self/smaps_rollup") as f:
        for line in f:
            parts = line.split()
            if parts[0] in ("Rss:", "Pss:"):
                values[parts[0]] = int(parts[1]) * 1024
    return values["Rss:"], values["Pss:"]


def engine_wasmc(runtime, path, base):
    """Instantiation through the C API itself, with the Python package's ctypes bindings (its
    `_rt`, `_Extern`, `_Error`): the package's Instance does more Python work per instance than
    the few microseconds measured here."""
    wasmc = wasmc_package.load(runtime)
    rt, error = wasmc._rt, wasmc._Error()
    module = wasmc.Module(path)
    store = wasmc.Store()
    imports = None
    count = 0
    if base is not None:
        imports = (wasmc._Extern * 1)()
        imports[0].kind = wasmc.EXTERN_GLOBAL
        value = wasmc.Value()
        value.i32 = base
        imports[0].of.glob = rt.wasmc_global_new(wasmc.KINDS["i32"], 0, value)
        count = 1

    def instantiate():
        instance = rt.wasmc_instantiate(store._raw, module._raw, imports, count, ctypes.byref(error))
        if not instance:
            sys.exit(f"run.py: {error.message.decode()}")
        return instance

    def touch(instance):
        export = wasmc._Extern()
        rt.wasmc_instance_export_bytes(instance, b"touch", 5, ctypes.byref(export))
        io = (wasmc.Value * 1)()
        if rt.wasmc_call(store._raw, export.of.func, io):
            sys.exit("run.py: touch trapped")

    return lambda: None, instantiate, rt.wasmc_instance_delete, touch


def engine_wasmtime(path):
    """As engine_wasmc's, with a store per instance (made before the clock starts: the
    instantiate it returns only instantiates), since a Wasmtime store frees its instances with
    itself."""
    import wasmtime
    engine = wasmtime.Engine()
    module = wasmtime.Module.from_file(engine, path)
    live = {}
    stores = []

    def instantiate():
        store = stores.pop() if stores else wasmtime.Store(engine)
        instance = wasmtime.Instance(store, module, [])
        live[id(instance)] = (instance, store)
        return instance

    def prepare():
        stores.append(wasmtime.Store(engine))

    def delete(instance):
        del live[id(instance)]

    def touch(instance):
        store = live[id(instance)][1]
        instance.exports(store)["touch"](store)

    return prepare, instantiate, delete, touch


def measure(args):
    """In a process of its own: prints the figures of one engine and module as JSON."""
    if args.engine == "wasmtime":
        prepare, instantiate, delete, touch = engine_wasmtime(args.module)
    else:
        prepare, instantiate, delete, touch = engine_wasmc(args.runtime, args.module, args.base)
    times = []
    for _ in range(args.rounds):
        prepare()
        start = time.perf_counter()
        instance = instantiate()
        times.append(time.perf_counter() - start)
        delete(instance)
    before = memory_now()
    one = instantiate()
    after_one = memory_now()
    touch(one)
    after_touch = memory_now()
    others = [instantiate() for _ in range(3)]
    for instance in others:
        touch(instance)
    after_four = memory_now()
    added = lambda now: [now[0] - before[0], now[1] - before[1]]  # noqa: E731
    print(json.dumps({"instantiate": statistics.median(times), "one": added(after_one),
                      "touched": added(after_touch), "four": added(after_four)}))


def run_time(command):
    """Wall seconds and peak RSS (bytes) of a command. The RSS is /usr/bin/time's: a child of
    this process would count this process's memory from before its exec."""
    with open(os.devnull, "w") as null:
        start = time.perf_counter()
        report = subprocess.run(["/usr/bin/time", "-f", "%M"] + command, stdout=null, stderr=subprocess.PIPE,
                                text=True)
        seconds = time.perf_counter() - start
    if report.returncode != 0:
        sys.exit(f"run.py: {' '.join(command)} failed: {report.stderr}")
    return seconds, int(report.stderr.split()[-1]) * 1024


def median_runs(commands, rounds):
    """For each command, the median wall time and peak RSS of `rounds` runs, the commands taking
    turns (so that a drift of the machine touches all alike)."""
    runs = [[] for _ in commands]
    for _ in range(rounds):
        for i, command in enumerate(commands):
            runs[i].append(run_time(command))
    return [(statistics.median(r[0] for r in each), statistics.median(r[1] for r in each)) for each in runs]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--wasmc")
    parser.add_argument("--runtime")
    parser.add_argument("--sizes", default="64,512")
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--out", default=os.path.join(ROOT, "Benchmarks", "results", "weights.md"))
    parser.add_argument("--measure", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--engine", help=argparse.SUPPRESS)
    parser.add_argument("--module", help=argparse.SUPPRESS)
    parser.add_argument("--base", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        return measure(args)
    os.makedirs(BUILD, exist_ok=True)
    sizes = [int(s) for s in args.sizes.split(",")]
    rows = []
    empty_wasm = os.path.join(BUILD, "empty.wasm")
    open(empty_wasm, "wb").write(module(0))
    subprocess.run([args.wasmc, "compile", empty_wasm, "-o", os.path.join(BUILD, "empty.so")], check=True)
    empty_command = [args.wasmc, "run", os.path.join(BUILD, "empty.so"), "--invoke", "noop"]
    empty_runs = []
    for size in sizes:
        wasm = os.path.join(BUILD, f"weights-{size}.wasm")
        so = os.path.join(BUILD, f"weights-{size}.so")
        copy_wasm = os.path.join(BUILD, f"weights-{size}-at-global.wasm")
        copy_so = os.path.join(BUILD, f"weights-{size}-at-global.so")
        open(wasm, "wb").write(module(size << 20))
        open(copy_wasm, "wb").write(module(size << 20, at_global=True))
        subprocess.run([args.wasmc, "compile", wasm, "-o", so], check=True)
        subprocess.run([args.wasmc, "compile", copy_wasm, "-o", copy_so], check=True)
        empty_run, cli = median_runs([empty_command, [args.wasmc, "run", so, "--invoke", "noop"]], 20)
        empty_runs.append(empty_run)
        me = [sys.executable, __file__, "--measure", "--rounds", str(args.rounds)]
        figures = {}
        for label, extra in [("wasmc", ["--engine", "wasmc", "--runtime", args.runtime, "--module", so]),
                             ("wasmc, copying", ["--engine", "wasmc", "--runtime", args.runtime, "--module", copy_so,
                                                 "--base", str(OFFSET + 1)]),
                             ("Wasmtime", ["--engine", "wasmtime", "--module", wasm])]:
            output = subprocess.run(me + extra, check=True, capture_output=True, text=True).stdout
            figures[label] = json.loads(output)
        rows.append((size, empty_run, cli, figures))
        print(f"{size} MiB: wasmc run +{(cli[0] - empty_run[0]) * 1e3:.0f} ms +{(cli[1] - empty_run[1]) / (1 << 20):.1f} MB; "
              + "; ".join(f"{k} {v['instantiate'] * 1e6:.0f} µs" for k, v in figures.items()), file=sys.stderr)
    write(args.out, rows, args.rounds)


def write(path, rows, rounds):
    mb = lambda b: f"{b / (1 << 20):.1f}"  # noqa: E731
    import wasmtime  # noqa: F401  (its version, for the record)
    from importlib.metadata import version
    lines = results_file.header("Instantiating modules with weights in a data segment", "Benchmarks/weights/run.py",
                                f"Wasmtime {version('wasmtime')} (PyPI)") + [
        "## `wasmc run M.so --invoke noop`, over a module without data",
        "",
        "Medians of 20 runs each, taking turns with the module without data.",
        "",
        "| weights | without data | with | time added | peak RSS added |",
        "|---|---|---|---|---|",
    ]
    for size, empty, cli, _ in rows:
        lines.append(f"| {size} MiB | {empty[0] * 1e3:.1f} ms, {mb(empty[1])} MB | {cli[0] * 1e3:.1f} ms, {mb(cli[1])} MB"
                     f" | {(cli[0] - empty[0]) * 1e3:.1f} ms | {mb(cli[1] - empty[1])} MB |")
    lines += [
        "",
        f"## Through the API, module loaded (median of {rounds} instantiate + delete)",
        "",
        "Memory in MB added over the loaded module: RSS / PSS (PSS counts a page that k instances map 1/k in each).",
        "",
        "| weights | engine | instantiate | one instance | one, after touch() | four, after touch() in each |",
        "|---|---|---|---|---|---|",
    ]
    for size, _, _, figures in rows:
        for label, f in figures.items():
            cells = [f"{mb(f[k][0])} / {mb(f[k][1])}" for k in ("one", "touched", "four")]
            lines.append(f"| {size} MiB | {label} | {f['instantiate'] * 1e6:.0f} µs | " + " | ".join(cells) + " |")
    results_file.write(path, lines)


if __name__ == "__main__":
    main()
