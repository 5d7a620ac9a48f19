#!/usr/bin/env python3
"""Start-up of a compiled artifact (issue 21): how long a process takes to load and run an
empty module's export, and its peak resident memory, for each way to run a .so: `wasmc run`
(the launcher: the runtime alone), `wasmc-compiler run` (the whole CLI, with LLVM), a Swift
program depending on the runtime-only `Wasmc` product (examples/swift-runtime), and the C host
Tests/cross/invoke_host.c over the runtime library. Writes Benchmarks/results/startup.md
(scripts/bench runs it).

    run.py --wasmc WASMC --swift-runner RUN_ARTIFACT --c-host INVOKE_HOST [--runs N] [--out FILE]

Each command runs N times (default 30) after one warm-up run; the figures are the median wall
time (fork to exit, as the parent sees it) and the median peak RSS (wait4's ru_maxrss).
"""
import argparse
import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, os.path.join(ROOT, "Benchmarks"))
import results_file  # noqa: E402
from processes import measure  # noqa: E402


def main(argv):
    parser = argparse.ArgumentParser()
    parser.add_argument("--wasmc", required=True)
    parser.add_argument("--swift-runner", required=True)
    parser.add_argument("--c-host", required=True)
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--out", default=os.path.join(ROOT, "Benchmarks", "results", "startup.md"))
    args = parser.parse_args(argv)
    compiler = os.path.join(os.path.dirname(args.wasmc), "wasmc-compiler")
    with tempfile.TemporaryDirectory() as tmp:
        wat = os.path.join(tmp, "empty.wat")
        with open(wat, "w") as f:
            f.write('(module (func (export "f") (result i32) (i32.const 0)))\n')
        so = os.path.join(tmp, "empty.so")
        subprocess.run([args.wasmc, "compile", wat, "-o", so], check=True)
        cases = [
            ("`wasmc run empty.so --invoke f` (the runtime alone)", [args.wasmc, "run", so, "--invoke", "f"]),
            ("`wasmc-compiler run empty.so --invoke f` (the whole CLI, LLVM loaded)",
             [compiler, "run", so, "--invoke", "f"]),
            ("Swift program on the runtime-only `Wasmc` product (examples/swift-runtime)",
             [args.swift_runner, so, "f"]),
            ("C host on libwasmc_runtime.so (Tests/cross/invoke_host.c)", [args.c_host, so, "f"]),
        ]
        rows = []
        for title, command in cases:
            seconds, kilobytes = measure(command, args.runs)
            rows.append(f"| {title} | {seconds * 1000:.1f} | {kilobytes / 1024:.1f} |")
    lines = results_file.header("Start-up: running an empty compiled module", "Benchmarks/startup/run.py",
                                f"release builds; median of {args.runs} runs") + [
        "| how the .so is run | ms, start to exit | peak RSS, MB |",
        "|---|---|---|",
    ] + rows
    results_file.write(args.out, lines)

if __name__ == "__main__":
    main(sys.argv[1:])
