"""Builds the C runtime (../src) into the package as wasmc/_runtime*.so, a plain shared library
that wasmc/__init__.py loads with ctypes (it is not a CPython extension module: nothing
imports it). `pip install Runtime/python` from the repository builds it in place."""
import glob
import os

from setuptools import Extension, setup

here = os.path.dirname(os.path.abspath(__file__))
runtime = os.path.relpath(os.path.join(here, ".."), here)
sources = sorted(glob.glob(os.path.join(runtime, "src", "*.c")) + glob.glob(os.path.join(runtime, "src", "wasi", "*.c")))

setup(
    ext_modules=[
        Extension(
            "wasmc._runtime",
            sources=sources,
            include_dirs=[os.path.join(runtime, "include")],
            define_macros=[("_GNU_SOURCE", None)],
            extra_compile_args=["-std=c11", "-funwind-tables"],
            libraries=["dl", "pthread"],
        )
    ]
)
