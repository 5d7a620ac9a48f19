#!/usr/bin/env python3
"""Runs a WASI probe program (Tests/wasi/programs/conformance.c) under Wasmtime (PyPI) in a
fresh empty preopen and compares its lines, "PROBE  ERRNO [what it read]", with wasmc's output of
the same program. Every line that differs must be listed in the differences file with both
results ("PROBE | wasmtime RESULT | wasmc RESULT | why"); a listed difference that no longer
differs is reported too, so the list stays true.

    wasmtime_compare.py PROGRAM.wasm WASMC_OUTPUT DIFFERENCES

Exit status 0 when the outputs agree but for the listed differences, 1 otherwise."""
import os
import re
import sys
import tempfile

import wasmtime


def run_wasmtime(wasm, root):
    engine = wasmtime.Engine()
    module = wasmtime.Module.from_file(engine, wasm)
    linker = wasmtime.Linker(engine)
    linker.define_wasi()
    store = wasmtime.Store(engine)
    config = wasmtime.WasiConfig()
    config.argv = [os.path.basename(wasm)]
    out_path = os.path.join(os.path.dirname(root), "wasmtime.stdout")
    config.stdout_file = out_path
    config.inherit_stderr()
    config.preopen_dir(root, "/")
    store.set_wasi(config)
    status = 0
    try:
        linker.instantiate(store, module).exports(store)["_start"](store)
    except wasmtime.ExitTrap as exit:
        status = exit.code
    with open(out_path, encoding="utf-8") as f:
        return status, f.read()


def results(text):
    """{probe: result} of the program's lines (the probe is padded to 60 columns)."""
    lines = {}
    for line in text.splitlines():
        probe, result = line[:60].rstrip(), line[60:].strip()
        lines[probe] = result
    return lines


def main(wasm, wasmc_output, differences_path):
    with tempfile.TemporaryDirectory() as tmp:
        root = os.path.join(tmp, "root")
        os.mkdir(root)
        status, text = run_wasmtime(wasm, root)
    if status != 0:
        print(f"Wasmtime: the program exited with {status}")
        return 1
    theirs = results(text)
    with open(wasmc_output, encoding="utf-8") as f:
        ours = results(f.read())
    listed = {}
    with open(differences_path, encoding="utf-8") as f:
        for number, line in enumerate(f, 1):
            if not line.strip() or line.startswith("#"):
                continue
            fields = [field.strip() for field in line.split("|")]
            match = len(fields) == 4 and re.fullmatch(r"wasmtime (.*)", fields[1]) and re.fullmatch(r"wasmc (.*)", fields[2])
            if not match:
                print(f"{differences_path}:{number}: expected PROBE | wasmtime RESULT | wasmc RESULT | why")
                return 1
            listed[fields[0]] = (fields[1][len("wasmtime "):], fields[2][len("wasmc "):])
    ok = True
    if list(theirs) != list(ours):
        print("the two runs probed different things (the program ended early in one?)")
        ok = False
    for probe in theirs.keys() & ours.keys():
        pair = (theirs[probe], ours[probe])
        if pair[0] == pair[1]:
            if probe in listed:
                print(f"listed, but the same now: {probe}: {pair[0]}")
                ok = False
        elif listed.get(probe) != pair:
            print(f"differs: {probe}: Wasmtime {pair[0]}, wasmc {pair[1]}"
                  + (f" (listed as Wasmtime {listed[probe][0]}, wasmc {listed[probe][1]})" if probe in listed else ""))
            ok = False
    for probe in listed.keys() - theirs.keys():
        print(f"listed, but not probed: {probe}")
        ok = False
    same = sum(1 for probe in theirs if theirs[probe] == ours.get(probe))
    print(f"{same} of {len(theirs)} probes as Wasmtime, {len(theirs) - same} listed differences")
    return 0 if ok else 1


if __name__ == "__main__":
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    sys.exit(main(*sys.argv[1:]))
