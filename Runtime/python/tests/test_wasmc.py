"""Tests of the wasmc Python package against modules compiled by wasmc ($WASMC, the wasmc
binary): calls with every number kind, traps, host functions, memory (also through numpy),
globals, WASI programs and the errors of loading and linking. scripts/test-python runs them."""
import os
import subprocess
import sys
import tempfile
import unittest

import wasmc

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))

MODULE = """(module
  (import "env" "scale" (func $scale (param i32) (result i32)))
  (memory (export "memory") 1 4)
  (global (export "counter") (mut i64) (i64.const 41))
  (global (export "fixed") f32 (f32.const 2.5))
  (func (export "mix") (param i32 i64 f32 f64) (result f64 f32 i64 i32)
    (local.get 3) (local.get 2) (local.get 1) (local.get 0))
  (func (export "div") (param i32 i32) (result i32) (i32.div_s (local.get 0) (local.get 1)))
  (func (export "scaled") (param i32) (result i32) (i32.add (call $scale (local.get 0)) (i32.const 1)))
  (func (export "sum") (param $at i32) (param $n i32) (result f32) (local $s f32)
    (block $done (loop $next
      (br_if $done (i32.eqz (local.get $n)))
      (local.set $s (f32.add (local.get $s) (f32.load (local.get $at))))
      (local.set $at (i32.add (local.get $at) (i32.const 4)))
      (local.set $n (i32.sub (local.get $n) (i32.const 1)))
      (br $next)))
    (local.get $s))
  (func (export "bump") (result i64)
    (global.set 0 (i64.add (global.get 0) (i64.const 1))) (global.get 0))
  (func (export "lanes") (param v128) (result v128) (i32x4.add (local.get 0) (v128.const i32x4 1 2 3 4))))
"""

# Imports a function, a memory and a global of another instance (MODULE's).
USER = """(module
  (import "m" "div" (func $div (param i32 i32) (result i32)))
  (import "m" "memory" (memory 1))
  (import "m" "counter" (global $counter (mut i64)))
  (func (export "half_of_cell") (param $at i32) (result i32) (call $div (i32.load (local.get $at)) (i32.const 2)))
  (func (export "count") (result i64) (global.set $counter (i64.add (global.get $counter) (i64.const 10)))
    (global.get $counter)))
"""


class WasmcTests(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.TemporaryDirectory()
        wasmc_binary = os.environ["WASMC"]

        def compile(source, name):
            path = os.path.join(cls.dir.name, name)
            subprocess.run([wasmc_binary, "compile", source, "-o", path], check=True)
            return path

        wat = os.path.join(cls.dir.name, "module.wat")
        with open(wat, "w") as f:
            f.write(MODULE)
        cls.module_path = compile(wat, "module.so")
        cls.fac_path = compile(os.path.join(ROOT, "examples", "fac.wat"), "fac.so")
        cls.greet_path = compile(os.path.join(ROOT, "examples", "greet.wat"), "greet.so")
        user = os.path.join(cls.dir.name, "user.wat")
        with open(user, "w") as f:
            f.write(USER)
        cls.user_path = compile(user, "user.so")

    @classmethod
    def tearDownClass(cls):
        cls.dir.cleanup()

    def instance(self, scale=lambda x: 3 * x):
        return wasmc.Instance(wasmc.Module(self.module_path),
                              imports={("env", "scale"): wasmc.Function(scale, ["i32"], ["i32"])})

    def test_calls_with_every_number_kind(self):
        self.assertEqual(wasmc.Instance(wasmc.Module(self.fac_path)).exports["fac"](20), 2432902008176640000)
        mix = self.instance().exports["mix"]
        self.assertEqual(mix.params, ["i32", "i64", "f32", "f64"])
        self.assertEqual(mix(-7, 2**64 - 1, 1.5, -2.25e-300), (-2.25e-300, 1.5, -1, -7))
        lanes = self.instance().exports["lanes"]
        self.assertEqual(lanes(bytes(range(16))), bytes([1, 1, 2, 3, 6, 5, 6, 7, 11, 9, 10, 11, 16, 13, 14, 15]))
        with self.assertRaises(TypeError):
            mix(1, 2)
        with self.assertRaises(ValueError):
            mix(2**40, 0, 0, 0)

    def test_traps(self):
        with self.assertRaises(wasmc.Trap) as caught:
            self.instance().exports["div"](1, 0)
        self.assertEqual(caught.exception.message, "integer divide by zero")

    def test_host_functions(self):
        seen = []
        instance = self.instance(lambda x: seen.append(x) or 10 * x)
        self.assertEqual(instance.exports["scaled"](4), 41)
        self.assertEqual(seen, [4])

        def refuse(x):
            raise RuntimeError(f"no {x}")
        with self.assertRaises(RuntimeError) as caught:
            self.instance(refuse).exports["scaled"](5)
        self.assertEqual(str(caught.exception), "no 5")

    def test_memory(self):
        instance = self.instance()
        memory = instance.exports["memory"]
        self.assertEqual(memory.size, 65536)
        import struct
        memory.write(16, struct.pack("<3f", 1.5, 2.0, 4.25))
        self.assertEqual(instance.exports["sum"](16, 3), 7.75)
        view = memory.buffer()
        view[100] = 7
        self.assertEqual(memory.read(100, 1), b"\x07")
        self.assertEqual(memory.grow(1), 1)
        self.assertEqual(memory.size, 2 * 65536)
        with self.assertRaises(IndexError):
            memory.read(2 * 65536 - 1, 2)
        try:
            import numpy
        except ImportError:
            self.skipTest("numpy is not installed: the zero-copy view is not checked")
        array = memory.numpy("float32", offset=1024, count=4)
        array[:] = numpy.arange(4, dtype=numpy.float32)  # written into wasm memory, no copy
        self.assertEqual(instance.exports["sum"](1024, 4), 6.0)

    def test_globals(self):
        instance = self.instance()
        counter = instance.exports["counter"]
        self.assertEqual(counter.value, 41)
        self.assertEqual(instance.exports["bump"](), 42)
        counter.value = 100
        self.assertEqual(instance.exports["bump"](), 101)
        self.assertEqual(instance.exports["fixed"].value, 2.5)
        with self.assertRaises(AttributeError):
            instance.exports["fixed"].value = 1.0

    def test_wasi_program(self):
        module = wasmc.Module(self.greet_path)
        with tempfile.TemporaryFile() as output:
            wasi = wasmc.WASI(args=["greet", "world"], stdout=output.fileno())
            status = wasi.run(wasmc.Instance(module, wasi=wasi))
            output.seek(0)
            self.assertEqual(output.read(), b"hello, world\n")
        self.assertEqual(status, 0)
        wasi = wasmc.WASI(args=["greet"], stderr=os.open(os.devnull, os.O_WRONLY))
        self.assertEqual(wasi.run(wasmc.Instance(module, wasi=wasi)), 2)  # usage: no name given

    def test_linking_instances(self):
        store = wasmc.Store()
        provider = wasmc.Instance(wasmc.Module(self.module_path), store=store,
                                  imports={("env", "scale"): wasmc.Function(lambda x: x, ["i32"], ["i32"])})
        names = ["div", "memory", "counter"]
        user = wasmc.Instance(wasmc.Module(self.user_path), store=store,
                              imports={("m", name): provider.exports[name] for name in names})
        provider.exports["memory"].write(64, (84).to_bytes(4, "little"))
        self.assertEqual(user.exports["half_of_cell"](64), 42)
        self.assertEqual(user.exports["count"](), 51)  # the provider's global, 41 + 10
        self.assertEqual(provider.exports["counter"].value, 51)
        with self.assertRaises(wasmc.Trap):  # the provider's div traps inside the user's call
            user.exports["half_of_cell"](1 << 20)
        with self.assertRaises(wasmc.Error) as caught:  # a function of another store
            wasmc.Instance(wasmc.Module(self.user_path),
                           imports={("m", name): provider.exports[name] for name in names})
        self.assertIn("m.div: a function of another instance can only be imported within its store", str(caught.exception))
        with self.assertRaises(wasmc.Error) as caught:  # a memory given for a function
            wasmc.Instance(wasmc.Module(self.user_path), store=store,
                           imports={("m", "div"): provider.exports["memory"], ("m", "memory"): provider.exports["memory"],
                                    ("m", "counter"): provider.exports["counter"]})
        self.assertIn("m.div: a func import cannot be given a Memory", str(caught.exception))

    def test_inspect(self):
        module = wasmc.Module.inspect(self.fac_path)
        self.assertEqual(module.exports, [("fac", "func")])
        self.assertEqual(module.machine, {"x86_64": "x86_64", "aarch64": "aarch64"}.get(os.uname().machine, module.machine))
        self.assertTrue(module.target.startswith(module.machine))
        self.assertEqual(module.wasm_hash, wasmc.Module(self.fac_path).wasm_hash)
        self.assertIn("-O", module.options)
        with self.assertRaises(wasmc.Error) as caught:
            wasmc.Instance(module)
        self.assertIn("inspection only", str(caught.exception))
        with self.assertRaises(wasmc.Error) as caught:
            wasmc.Module.inspect(os.path.join(ROOT, "examples", "fac.wat"))
        self.assertIn("not an ELF file", str(caught.exception))

    def test_errors(self):
        with self.assertRaises(wasmc.Error) as caught:
            wasmc.Module(os.path.join(self.dir.name, "missing.so"))
        self.assertIn("missing.so: No such file or directory", str(caught.exception))
        with self.assertRaises(wasmc.Error) as caught:
            wasmc.Instance(wasmc.Module(self.module_path))
        self.assertEqual(str(caught.exception), "unknown import env.scale")
        self.assertEqual(wasmc.Module(self.fac_path).exports, [("fac", "func")])
        self.assertEqual(len(wasmc.Module(self.fac_path).wasm_hash), 64)


if __name__ == "__main__":
    sys.exit(unittest.main())
