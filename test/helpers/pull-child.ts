// Runs a pull in a child process so a test can measure its peak memory, or give it its own trust store
// (NODE_EXTRA_CA_CERTS) for https cases: `pullInChild` bundles pull-child-main.ts as the actions are bundled and runs
// it with plain node, which prints one JSON line.
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RegistryOptions } from '@wasm-build/oci';
import { build } from 'esbuild';
import { collect } from './child.ts';

const ROOT = join(import.meta.dirname, '..', '..');

export interface PullJob {
  image: string;
  options?: RegistryOptions;
  /** After the pull, read the entrypoint module (decompressing the layers). */
  entrypoint?: boolean;
  /** After the pull (and the entrypoint read, whatever its outcome), unpack the layers here with `unpackLayers`. */
  unpackTo?: string;
}

/** How one step of a job ended: its error, if any, as thrown and as the actions show it. */
export interface StepOutcome {
  ok: boolean;
  name?: string;
  message?: string;
  /** `errorLine`: the message and the fix. */
  line?: string;
}

export interface PullOutcome {
  /** Each step run: `pull`, then `entrypoint` and `unpack` when asked for and the pull succeeded. */
  steps: Record<string, StepOutcome>;
  digest?: string;
  /** Peak resident set size of the child over all its steps, KiB (`process.resourceUsage().maxRSS`). */
  maxRssKiB: number;
  code: number | null;
  /** What the child printed besides its result. */
  output: string;
}

let bundled: Promise<string> | undefined;

/** pull-child-main.ts bundled with esbuild as scripts/build-dist.ts bundles an action: tsx would add its compiler's memory. */
function bundle(): Promise<string> {
  bundled ??= (async () => {
    const outfile = join(mkdtempSync(join(tmpdir(), 'pull-child-')), 'pull-child.cjs');
    await build({
      entryPoints: [join(ROOT, 'test/helpers/pull-child-main.ts')],
      bundle: true,
      platform: 'node',
      target: 'node20',
      format: 'cjs',
      outfile,
      define: { 'import.meta.url': 'importMetaUrl' },
      banner: { js: "const importMetaUrl = require('node:url').pathToFileURL(__filename).href;" },
      logLevel: 'warning',
      absWorkingDir: ROOT,
    });
    return outfile;
  })();
  return bundled;
}

/** Runs `job` in a child `node` with `env` added; resolves with what it printed, killing it after `timeoutMs`. */
export async function pullInChild(
  job: PullJob,
  env: Record<string, string> = {},
  timeoutMs = 60_000,
): Promise<PullOutcome> {
  const { code, stdout, stderr } = await collect(
    spawn(process.execPath, [await bundle(), JSON.stringify(job)], {
      cwd: ROOT,
      env: { ...process.env, ...env },
      timeout: timeoutMs,
    }),
  );
  const lines = stdout.trim().split('\n');
  const output = `${lines.slice(0, -1).join('\n')}${stderr}`;
  try {
    return { ...(JSON.parse(lines[lines.length - 1]) as PullOutcome), code, output };
  } catch {
    return { steps: {}, maxRssKiB: 0, code, output: `${stdout}${stderr}` };
  }
}
