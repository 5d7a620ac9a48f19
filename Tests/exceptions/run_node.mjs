// run_node.mjs FILE.wasm [ARGS...]: runs a WASI program in Node's V8 and prints what
// run_wasmtime.py prints (stdout, then `exit N`; 134 for an exception or trap leaving _start).
// For the legacy exception encoding, which Wasmtime does not implement: V8 runs it by default
// (Node 20 and later). A cross-check of the expected files, not the reference.
import { readFileSync, openSync, closeSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, basename } from 'node:path';
import { WASI } from 'node:wasi';
import process from 'node:process';

const [path, ...args] = process.argv.slice(2);
if (!path) {
  console.error('usage: run_node.mjs FILE.wasm [ARGS...]');
  process.exit(2);
}
const dir = mkdtempSync(join(tmpdir(), 'wasmc-eh-'));
const outPath = join(dir, 'stdout');
const out = openSync(outPath, 'w');
const wasi = new WASI({ version: 'preview1', args: [basename(path), ...args], env: {}, stdout: out, returnOnExit: true });
let status = 0;
try {
  const module = await WebAssembly.compile(readFileSync(path));
  const instance = await WebAssembly.instantiate(module, wasi.getImportObject());
  status = wasi.start(instance) ?? 0;
} catch (e) {
  console.error(e instanceof WebAssembly.Exception ? 'uncaught exception' : String(e).split('\n')[0]);
  status = 134;
}
closeSync(out);
let text = readFileSync(outPath);
rmSync(dir, { recursive: true });
process.stdout.write(text);
if (text.length && text[text.length - 1] !== 10) process.stdout.write('\n');
process.stdout.write(`exit ${status}\n`);
