import { readFileSync } from 'node:fs';
import { exec } from '@wasm-build/kit';

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

/** This package's version (packages/pipeline/package.json). */
export function packageVersion(): string {
  return (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }).version;
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
