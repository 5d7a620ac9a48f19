#!/usr/bin/env python3
"""The cost of protected artifacts (issue 20): how long `wasmc run A --invoke noop` takes, and its
peak resident memory, for an artifact of about 100 MB (a module with 48 MiB of weights in a data
segment: the data image plus the wasm inside) as a plain .so, signed and run under a trust
policy (the whole file hashed before loading), encrypted to a key and opened in memory, and
signed then encrypted, run with both. Writes Benchmarks/results/artifacts.md (scripts/bench
runs it).

    run.py --wasmc WASMC [--mib N] [--runs N] [--out FILE]

Each command runs N times (default 10) after one warm-up run, the page cache warm; the figures
are the median wall time (fork to exit, as the parent sees it) and the median peak RSS
(wait4's ru_maxrss). The plain .so's run maps its data image lazily, so its time is the floor.
A decrypted artifact also holds its whole size in memory (the memfd) while it is loaded, which
peak RSS does not count (its pages are written, not mapped, until the code maps them).
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


def leb(n):
    out = bytearray()
    while True:
        b, n = n & 0x7F, n >> 7
        out.append(b | (0x80 if n else 0))
        if not n:
            return bytes(out)


def section(number, body):
    return bytes([number]) + leb(len(body)) + body


def module(weights):
    """A module exporting noop() -> i32, whose memory holds `weights` at 64 KiB."""
    pages = (len(weights) >> 16) + 2
    types = section(1, b"\x01\x60\x00\x01\x7f")
    functions = section(3, b"\x01\x00")
    memory = section(5, b"\x01\x00" + leb(pages))
    exports = section(7, b"\x01\x04noop\x00\x00")
    code = section(10, b"\x01\x04\x00\x41\x00\x0b")
    data = section(11, b"\x01\x00\x41\x80\x80\x04\x0b" + leb(len(weights)) + weights)
    return b"\x00asm\x01\x00\x00\x00" + types + functions + memory + exports + code + data


def main(argv):
    parser = argparse.ArgumentParser()
    parser.add_argument("--wasmc")
    parser.add_argument("--mib", type=int, default=48)
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--out", default=os.path.join(ROOT, "Benchmarks", "results", "artifacts.md"))
    parser.add_argument("--write-module", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.write_module:
        with open(args.write_module, "wb") as f:
            f.write(module(os.urandom(args.mib << 20)))
        return
    wasmc = args.wasmc
    with tempfile.TemporaryDirectory(dir=os.path.join(ROOT, "Benchmarks", "build")) as tmp:
        def path(name):
            return os.path.join(tmp, name)

        def run(*command):
            subprocess.run([wasmc, *command], check=True, stdout=subprocess.DEVNULL)

        # Written by a child process: a child's peak RSS starts at its parent's at fork, so this
        # process stays small.
        subprocess.run([sys.executable, __file__, "--write-module", path("weights.wasm"), "--mib", str(args.mib)], check=True)
        run("compile", path("weights.wasm"), "-o", path("plain.so"))
        subprocess.run([wasmc, "keygen", path("signer")], check=True, stdout=subprocess.DEVNULL)
        subprocess.run([wasmc, "keygen", path("user")], check=True, stdout=subprocess.DEVNULL)
        run("sign", "--key", path("signer.key"), path("plain.so"), "-o", path("signed.so"))
        run("encrypt", "--to", path("user.pub"), path("plain.so"), "-o", path("plain.enc"))
        run("encrypt", "--to", path("user.pub"), path("signed.so"), "-o", path("signed.enc"))
        size = os.path.getsize(path("plain.so"))
        invoke = ["--invoke", "noop"]
        cases = [
            ("plain .so", [wasmc, "run", path("plain.so")] + invoke),
            ("signed .so, `--trust`", [wasmc, "run", path("signed.so"), "--trust", path("signer.pub")] + invoke),
            ("encrypted, `--key`", [wasmc, "run", path("plain.enc"), "--key", path("user.key")] + invoke),
            ("signed then encrypted, `--key --trust`",
             [wasmc, "run", path("signed.enc"), "--key", path("user.key"), "--trust", path("signer.pub")] + invoke),
        ]
        rows = []
        floor = None
        for title, command in cases:
            seconds, kilobytes = measure(command, args.runs)
            floor = floor if floor is not None else seconds
            rows.append(f"| {title} | {seconds * 1000:.0f} | {(seconds - floor) * 1000:+.0f} | {kilobytes / 1024:.0f} |")
    lines = results_file.header(
        "Protected artifacts: the cost of loading signed and encrypted ones", "Benchmarks/artifacts/run.py",
        f"release build; an artifact of {size / 1e6:.1f} MB ({args.mib} MiB of weights); median of {args.runs} runs") + [
        "| artifact | ms, start to exit | ms over the plain .so | peak RSS, MB |",
        "|---|---|---|---|",
    ] + rows
    results_file.write(args.out, lines)


if __name__ == "__main__":
    main(sys.argv[1:])
