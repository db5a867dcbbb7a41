// The program the Node runner executes in a child `node` (ESM, passed with -e), so a module's proc_exit, crash or
// hang never touches the calling process. Its input comes as JSON in WASM_BUILD_SMOKE:
// { module, args, env, preopens: { guest: host }, memories: [{ module, name, initial, maximum, shared }] }.
// Node's WASI (node:wasi, preview1) requires `exports.memory` for start(); a module that only imports its memory is
// given one, and started through a view whose exports include it.
export const NODE_RUNNER_SOURCE = `
import { readFileSync } from 'node:fs';
import { WASI } from 'node:wasi';
const cfg = JSON.parse(process.env.WASM_BUILD_SMOKE);
const wasi = new WASI({ version: 'preview1', args: cfg.args, env: cfg.env, preopens: cfg.preopens, returnOnExit: true });
const module = await WebAssembly.compile(readFileSync(cfg.module));
const imports = { ...wasi.getImportObject() };
let memory;
for (const m of cfg.memories) {
  memory = new WebAssembly.Memory({ initial: m.initial, maximum: m.maximum, shared: m.shared });
  imports[m.module] = { ...(imports[m.module] ?? {}), [m.name]: memory };
}
const instance = await WebAssembly.instantiate(module, imports);
const exports = instance.exports.memory || !memory ? instance.exports : { ...instance.exports, memory };
const code = typeof exports._start === 'function' ? wasi.start({ exports }) : (wasi.initialize({ exports }), 0);
process.exitCode = code ?? 0;
`;
