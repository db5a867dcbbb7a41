// Gates integration tests on real tools, printing why a test is skipped (never skipping silently).
import { spawnSync } from 'node:child_process';

/** True when `command args` runs and exits 0. */
export function toolWorks(command: string, args: string[] = ['--version']): boolean {
  const r = spawnSync(command, args, { stdio: 'ignore' });
  return r.status === 0;
}

/** Returns true when every tool is present; otherwise prints one line naming what is missing for `what`. */
export function requireTools(what: string, tools: Record<string, boolean>): boolean {
  const missing = Object.entries(tools)
    .filter(([, ok]) => !ok)
    .map(([name]) => name);
  if (missing.length) console.log(`SKIP ${what}: missing ${missing.join(', ')} (see .ci/run for how CI installs them)`);
  return missing.length === 0;
}

export const HAVE = {
  debianRust: toolWorks('cargo', ['+debian', '--version']),
  wasmOpt: toolWorks('wasm-opt'),
  wat2wasm: toolWorks('wat2wasm'),
  objdump: toolWorks('wasm-objdump'),
  skopeo: toolWorks('skopeo'),
  umoci: toolWorks('umoci', ['--version']),
  registry: toolWorks('docker-registry', ['--version']),
  htpasswd: toolWorks('sh', ['-c', 'command -v htpasswd']),
  crun: toolWorks('crun', ['--version']),
  busybox: toolWorks('sh', ['-c', 'command -v busybox']),
  unshare: toolWorks('unshare', ['--help']),
  buildx: toolWorks('docker', ['buildx', 'version']),
  oras: toolWorks('oras', ['version']),
  wasmedge: toolWorks('wasmedge', ['--version']),
  wasmtime: toolWorks('wasmtime', ['--version']),
  crunWasm: toolWorks('sh', ['-c', 'crun --version | grep -q "+WASM:wasmedge"']),
};
