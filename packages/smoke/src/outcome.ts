// What a runtime did with a module, read from its exit status and output: the outcome classes of
// shared/corpus/RUNTIME-OUTCOMES.tsv, which is where the patterns below were measured.

/** `ran`: the module ran to an exit (its own exit code, or completion under crun); the rest: the runtime failed. */
export type OutcomeClass = 'ran' | 'load-fail' | 'link-fail' | 'no-entry' | 'trap' | 'timeout';

export interface RunOutcome {
  class: OutcomeClass;
  /** The runtime's own first error line (WasmEdge's `[error]` line without its timestamp, V8's exception). */
  error?: string;
}

/** A process's result as the classifiers need it. */
export interface ProcessResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

// WasmEdge writes "[2026-12-01 12:00:00.000] [error] loading failed: …" on stdout (not stderr); crun's handler
// passes the same lines through and adds "[libcrun:wasmedge]: could not get wasmedge result from VM".
const WASMEDGE_ERROR = /\[error\]\s*(.+)$/m;
const REACTOR = 'A function name is required when reactor mode is enabled.';

function wasmEdgeClass(error: string): OutcomeClass {
  if (error.startsWith('loading failed')) return 'load-fail';
  if (error.startsWith('instantiation failed')) return 'link-fail';
  if (error.includes('wasm function not found')) return 'no-entry';
  return 'trap'; // "execution failed: unreachable, Code: 0x40a" and the other execution errors
}

/**
 * Classifies a `wasmedge MODULE` run: load, link and execution failures from its `[error]` line (on stdout), the
 * reactor-mode message (stderr) as no-entry, exit 134 as a trap, else `ran` with the module's exit code.
 * Source: RUNTIME-OUTCOMES.tsv (WasmEdge 0.17.1) first_error_lines and header.
 */
export function classifyWasmEdge(r: ProcessResult): RunOutcome {
  if (r.exitCode !== 0) {
    const line = WASMEDGE_ERROR.exec(r.stdout)?.[1] ?? WASMEDGE_ERROR.exec(r.stderr)?.[1];
    if (line) return { class: wasmEdgeClass(line.trim()), error: line.trim() };
    if (r.stderr.includes(REACTOR)) return { class: 'no-entry', error: REACTOR };
    if (r.exitCode === 134) return { class: 'trap', error: 'exit 134 (a trap)' };
  }
  return { class: 'ran' };
}

/**
 * Classifies a crun run with the WasmEdge handler: exit 0 is completion (crun does not pass on proc_exit codes);
 * exit 1 with WasmEdge's `[error]` line is that failure; other exits are crun's own failures (reported as load-fail
 * with crun's last line). Source: RUNTIME-OUTCOMES.tsv (crun 1.27.1) CAVEAT and first_error_lines.
 */
export function classifyCrun(r: ProcessResult): RunOutcome {
  if (r.exitCode === 0) return { class: 'ran' };
  const line = WASMEDGE_ERROR.exec(r.stdout)?.[1] ?? WASMEDGE_ERROR.exec(r.stderr)?.[1];
  if (line) return { class: wasmEdgeClass(line.trim()), error: line.trim() };
  const last = `${r.stderr}\n${r.stdout}`.trim().split('\n').pop() || `exit ${r.exitCode}`;
  return { class: 'load-fail', error: `crun: ${last.trim()}` };
}

/** The marker our node runner writes on stderr before it exits for a failure of its own (node-runner-source.ts). */
export const NODE_MARKER = 'wasm-build-node-runner:';

/**
 * Classifies a run of our node:wasi runner: its marker line (`wasm-build-node-runner: CLASS: MESSAGE`) names
 * load-fail (CompileError), link-fail (LinkError/TypeError at instantiation), no-entry or trap; without one the module
 * ran to its exit code.
 */
export function classifyNode(r: ProcessResult): RunOutcome {
  const line = r.stderr.split('\n').find((l) => l.startsWith(NODE_MARKER));
  if (!line) return { class: 'ran' };
  const m = /^(\S+): (load-fail|link-fail|no-entry|trap): (.*)$/.exec(line);
  return m
    ? { class: m[2] as OutcomeClass, error: m[3] }
    : { class: 'trap', error: line.slice(NODE_MARKER.length).trim() };
}

/**
 * wasmtime was not run here, so none of its error texts is known to us: every run counts as `ran` with its exit
 * status, and the expectations judge it.
 */
export function classifyUnmeasured(_r: ProcessResult): RunOutcome {
  return { class: 'ran' };
}
