#!/usr/bin/env python3
"""Compiling a module whose weights are still arriving (issue 18): `wasmc compile -` reads the
module from a pipe and compiles its code while its data segments come. Writes
Benchmarks/results/streaming.md (scripts/bench runs it).

    streaming.py --wasmc WASMC [--weights 256] [--rate 16] [--sizes 64,512] [--out FILE]

The module is svg-flatten (1.2 MB of C++ code, Benchmarks/large fetches it) with a passive data
segment of WEIGHTS MiB added (16 MiB of noise, repeated): a model's code with its weights. It
arrives through a pipe as from a download at RATE MB/s (the code first, as a module's sections
come), and is compiled at -O2 into a .so holding the weights:
- after the download: the module written to a file first, then `wasmc compile FILE`; what is
  left to wait once the last byte is in is the whole compile.
- as it arrives: `wasmc compile -` reading the pipe; what is left to wait once the last byte is
  in (stdin closed) until the .so is written.
Also, without the download: `wasmc compile` of the modules of run.py's weights sizes (little
code, WEIGHTS in one active segment) from a file: time and peak RSS, which no longer grow with
the module but for the image written.
Times are wall clock, peak RSS the process's (/usr/bin/time's %M); one run each on an idle
machine.
"""
import argparse
import os
import random
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
BUILD = os.path.join(ROOT, "Benchmarks", "build", "weights")
sys.path[:0] = [os.path.join(ROOT, "scripts"), os.path.join(ROOT, "Benchmarks")]
import results_file  # noqa: E402
from wasm_binary import leb, read_leb, section, sections, vec  # noqa: E402


def load(path, name):
    """The Python file at `path` as a module (the benchmarks' scripts share the name run.py)."""
    import importlib.util
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def with_weights(data, size):
    """`data` (a binary module) with a passive data segment of `size` bytes added: its data
    section (made if it has none) gets one more segment, its data count section one more."""
    chunk = random.Random(size).randbytes(min(size, 1 << 24))
    weights = chunk * (size // len(chunk))
    segment = b"\x01" + leb(len(weights)) + weights
    out = bytearray(data[:8])
    added = False
    for id, content in sections(data):
        if id == 12:
            count, _ = read_leb(content, 0)
            content = leb(count + 1)
        if id == 11:
            count, pos = read_leb(content, 0)
            content = leb(count + 1) + content[pos:] + segment
            added = True
        if id == 0 and not added:
            out += section(11, vec([segment]))
            added = True
        out += section(id, content)
    if not added:
        out += section(11, vec([segment]))
    return bytes(out)


def data_start(data):
    """The offset of the data section (id 11), or the end."""
    pos = 8
    while pos < len(data):
        if data[pos] == 11:
            return pos
        size, start = read_leb(data, pos + 1)
        pos = start + size
    return len(data)


def timed(command, peak_file):
    """`command` under /usr/bin/time, which writes its peak RSS (KB) to `peak_file`: a process
    forked from this interpreter would count the interpreter's memory (the module it holds)
    in its peak, which Linux keeps across exec."""
    return ["/usr/bin/time", "-f", "%M", "-o", peak_file] + command


def peak(peak_file):
    with open(peak_file) as f:
        return int(f.read().split()[-1]) * 1024


def measured(argv):
    """Runs one measurement in an interpreter of its own."""
    out = subprocess.run([sys.executable, __file__, "--measure"] + argv, check=True, capture_output=True, text=True)
    return [float(x) for x in out.stdout.split()]


def measure(argv):
    kind, wasmc, wasm, so = argv[:4]
    peak_file = so + ".peak"
    if kind == "file":
        start = time.monotonic()
        subprocess.run(timed([wasmc, "compile", wasm, "-o", so], peak_file), check=True)
        print(time.monotonic() - start, peak(peak_file))
        return
    rate = float(argv[4]) * 1e6
    with open(wasm, "rb") as f:
        data = f.read()
    split = data_start(data)
    process = subprocess.Popen(timed([wasmc, "compile", "-", "-o", so], peak_file), stdin=subprocess.PIPE)
    start = time.monotonic()
    process.stdin.write(data[:split])
    process.stdin.flush()
    # The rest at `rate` bytes a second, in 1 MiB pieces.
    sent = 0
    rest = data[split:]
    while sent < len(rest):
        piece = rest[sent:sent + (1 << 20)]
        process.stdin.write(piece)
        process.stdin.flush()
        sent += len(piece)
        delay = start + sent / rate - time.monotonic()
        if delay > 0:
            time.sleep(delay)
    process.stdin.close()
    arrived = time.monotonic()
    if process.wait() != 0:
        sys.exit("streaming.py: wasmc compile - failed")
    done = time.monotonic()
    print(arrived - start, done - arrived, peak(peak_file))


def main(argv):
    if argv and argv[0] == "--measure":
        return measure(argv[1:])
    parser = argparse.ArgumentParser()
    parser.add_argument("--wasmc", required=True)
    parser.add_argument("--weights", type=int, default=256, help="MiB of weights added to svg-flatten")
    parser.add_argument("--rate", type=float, default=16, help="MB/s the module arrives at")
    parser.add_argument("--sizes", default="64,512", help="MiB of weights of the modules compiled from a file")
    parser.add_argument("--out", default=os.path.join(ROOT, "Benchmarks", "results", "streaming.md"))
    args = parser.parse_args(argv)
    os.makedirs(BUILD, exist_ok=True)
    large = load(os.path.join(ROOT, "Benchmarks", "large", "run.py"), "large_run")
    svg, _ = large.fetch("svg-flatten")
    with open(svg, "rb") as f:
        code = f.read()
    wasm = os.path.join(BUILD, f"svg-flatten-{args.weights}.wasm")
    with open(wasm, "wb") as f:
        f.write(with_weights(code, args.weights << 20))
    so = os.path.join(BUILD, "streamed.so")
    download = os.path.getsize(wasm) / (args.rate * 1e6)
    after_seconds, after_peak = measured(["file", args.wasmc, wasm, so])
    arrival, left, stream_peak = measured(["pipe", args.wasmc, wasm, so, str(args.rate)])
    lines = results_file.header("Compiling while the weights arrive", "Benchmarks/weights/streaming.py") + [
        f"svg-flatten (1.2 MB of code) with {args.weights} MiB of weights, {os.path.getsize(wasm) / 1e6:.0f} MB in all,"
        f" arriving at {args.rate:g} MB/s; -O2.",
        "",
        "| how | the module arrives in | left to wait after the last byte | in all | peak RSS |",
        "|---|---|---|---|---|",
        f"| download, then `wasmc compile FILE` | {download:.1f} s | {after_seconds:.1f} s | {download + after_seconds:.1f} s"
        f" | {after_peak / 1e6:.0f} MB |",
        f"| `wasmc compile -` as it arrives | {arrival:.1f} s | {left:.2f} s | {arrival + left:.1f} s | {stream_peak / 1e6:.0f} MB |",
        "",
        "## `wasmc compile FILE` of run.py's modules (little code, the weights in one active segment)",
        "",
        "| weights | time | peak RSS |",
        "|---|---|---|",
    ]
    weights_module = load(os.path.join(HERE, "run.py"), "weights_run").module
    for size in [int(s) for s in args.sizes.split(",") if s]:
        path = os.path.join(BUILD, f"compile-{size}.wasm")
        with open(path, "wb") as f:
            f.write(weights_module(size << 20))
        seconds, peak = measured(["file", args.wasmc, path, os.path.join(BUILD, f"compile-{size}.so")])
        lines.append(f"| {size} MiB | {seconds:.2f} s | {peak / 1e6:.0f} MB |")
        os.remove(path)
    results_file.write(args.out, lines)


if __name__ == "__main__":
    main(sys.argv[1:])
