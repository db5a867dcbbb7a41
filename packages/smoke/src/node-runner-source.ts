import { NODE_MARKER } from './outcome.ts';

// The program the Node runner executes in a child `node` (ESM, passed with -e), so a module's proc_exit, crash or
// hang never touches the calling process. Its input comes as JSON in WASM_BUILD_SMOKE:
// { module, args, env, preopens: { guest: host }, memories: [{ module, name, initial, maximum, shared }] }.
// It does what RUNTIME-OUTCOMES.tsv's node_wasi column did: every imported memory is given a WebAssembly.Memory of
// its declared limits; start() when the module exports _start, else initialize() when it exports _initialize.
// A failure of compile, instantiate or start is written as one marker line on stderr (classifyNode reads it):
// `wasm-build-node-runner: load-fail|link-fail|no-entry|trap: MESSAGE`. Node's WASI requires `exports.memory`
// for start(); a module that only imports its memory is started through a view whose exports include it.
export const NODE_RUNNER_SOURCE = `
import { readFileSync } from 'node:fs';
import { WASI } from 'node:wasi';
const fail = (kind, e) => {
  const text = e instanceof Error ? e.name + ': ' + e.message : String(e);
  process.stderr.write('${NODE_MARKER} ' + kind + ': ' + text.split('\\n')[0] + '\\n');
  process.exit(1);
};
const cfg = JSON.parse(process.env.WASM_BUILD_SMOKE);
const wasi = new WASI({ version: 'preview1', args: cfg.args, env: cfg.env, preopens: cfg.preopens, returnOnExit: true });
let module;
try { module = new WebAssembly.Module(readFileSync(cfg.module)); } catch (e) { fail('load-fail', e); }
const imports = { ...wasi.getImportObject() };
let memory;
for (const m of cfg.memories) {
  memory = new WebAssembly.Memory({ initial: m.initial, maximum: m.maximum, shared: m.shared });
  imports[m.module] = { ...(imports[m.module] ?? {}), [m.name]: memory };
}
let instance;
try { instance = new WebAssembly.Instance(module, imports); } catch (e) { fail('link-fail', e); }
const exports = instance.exports.memory || !memory ? instance.exports : { ...instance.exports, memory };
let code = 0;
try {
  if (typeof exports._start === 'function') code = wasi.start({ exports });
  else if (typeof exports._initialize === 'function') wasi.initialize({ exports });
  else fail('no-entry', 'instantiated; no _start/_initialize export');
} catch (e) { fail('trap', e); }
process.exitCode = code ?? 0;
`;
