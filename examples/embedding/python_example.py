#!/usr/bin/env python3
"""The wasmc Python package (Runtime/python; `python3 -m pip install ./Runtime/python`): calls an
export of one compiled module, and runs a WASI program of another.

    python3 python_example.py fac.so greet.so       # fac.wat and greet.wat, compiled by wasmc

prints fac(20) = 2432902008176640000, then the program's "hello, python" and its exit status.
"""
import sys

import wasmc

fac_so, greet_so = sys.argv[1:3]
fac = wasmc.Instance(wasmc.Module(fac_so)).exports["fac"]
print(f"fac(20) = {fac(20)}")
sys.stdout.flush()  # the program writes to the same file descriptor, unbuffered
program = wasmc.Module(greet_so)
wasi = wasmc.WASI(args=["greet", "python"])
status = wasi.run(wasmc.Instance(program, wasi=wasi))
print(f"exit status {status}")
