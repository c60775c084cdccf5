// node-wasi.mjs — runs a WASI preview1 command module under node's built-in
// WASI (node:wasi), so bench/ can time node beside wasmbox and wasm3.
//
// Usage: node --no-warnings node-wasi.mjs FILE.wasm [ARG...]
// stdin/stdout/stderr are the process's own; the current directory is
// preopened as "." so workloads that open files behave as under the others.
// The exit status is the guest's (proc_exit or main's return).
import { readFileSync } from 'node:fs';
import { WASI } from 'node:wasi';
import process from 'node:process';

const [file, ...args] = process.argv.slice(2);
if (!file) {
  process.stderr.write('usage: node node-wasi.mjs FILE.wasm [ARG...]\n');
  process.exit(2);
}
const wasi = new WASI({
  version: 'preview1',
  args: [file, ...args],
  env: process.env,
  preopens: { '.': '.' },
  returnOnExit: true,
});
const module = await WebAssembly.compile(readFileSync(file));
const instance = await WebAssembly.instantiate(module, wasi.getImportObject());
process.exitCode = wasi.start(instance);
