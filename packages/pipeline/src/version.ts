import { readFileSync } from 'node:fs';
import { exec } from '@wasm-build/kit/exec';

/** The tools the CLI would use, each as the command that prints its version. */
export const VERSION_PROBES: { tool: string; command: string; args: string[] }[] = [
  { tool: 'cargo', command: 'cargo', args: ['--version'] },
  { tool: 'wasm-opt', command: 'wasm-opt', args: ['--version'] },
  { tool: 'skopeo', command: 'skopeo', args: ['--version'] },
  { tool: 'oras', command: 'oras', args: ['version'] },
  { tool: 'docker buildx', command: 'docker', args: ['buildx', 'version'] },
  { tool: 'wasmedge', command: 'wasmedge', args: ['--version'] },
  { tool: 'wasmtime', command: 'wasmtime', args: ['--version'] },
  { tool: 'crun', command: 'crun', args: ['--version'] },
];

// The CLI package's version, baked in when scripts/build-cli.ts bundles the CLI (esbuild `define`).
declare const WASM_BUILD_VERSION: string | undefined;

/**
 * The CLI's version: the `wasm-build` package's (packages/cli/package.json), baked into the bundle at build time;
 * run from source (tsx), read from that file.
 */
export function packageVersion(): string {
  if (typeof WASM_BUILD_VERSION === 'string') return WASM_BUILD_VERSION;
  const file = new URL('../../cli/package.json', import.meta.url);
  return (JSON.parse(readFileSync(file, 'utf8')) as { version: string }).version;
}

/**
 * What `wasm-build --version` prints: our version and Node's, then each tool's first version line, or "not found".
 * Probes run in parallel, each bounded to 5 s.
 */
export async function versionReport(): Promise<string> {
  const lines = await Promise.all(
    VERSION_PROBES.map(async (p) => {
      const r = await exec.run({ command: p.command, args: p.args }, { timeoutMs: 5000 }).catch(() => undefined);
      const text = r && r.exitCode === 0 ? (r.stdout.trim() || r.stderr.trim()).split('\n')[0] : 'not found';
      return `  ${p.tool.padEnd(14)} ${text}`;
    }),
  );
  return [`wasm-build ${packageVersion()} (node ${process.version})`, ...lines].join('\n');
}
