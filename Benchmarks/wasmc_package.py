"""The wasmc Python package (Runtime/python) from the source tree, over a runtime library the
benchmark scripts name (scripts/bench builds Benchmarks/build/runtime/libwasmc_runtime.so with
CMake), so that they need not install it: `wasmc = wasmc_package.load(runtime_path)`."""
import importlib
import os
import sys

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))


def load(runtime_path):
    os.environ["WASMC_RUNTIME"] = os.path.abspath(runtime_path)
    sys.path.insert(0, os.path.join(ROOT, "Runtime", "python"))
    return importlib.import_module("wasmc")
