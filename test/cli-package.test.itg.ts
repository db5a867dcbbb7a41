// The published CLI as a user gets it: `npm pack` of packages/cli (its prepack bundles the CLI with esbuild), then
// `npm i -g` of the tarball into a temp prefix, offline, and `wasm-build` run from a directory outside the checkout.
// A loader hook (module.register, through NODE_OPTIONS) logs every file the CLI loads; esbuild's metafile maps each
// bundle file back to its sources, so the test sees which npm packages and which of our modules a command loaded.

import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { Metafile } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeLargeModule } from '../bench/make-module.ts';
import { CORPUS, corpusPresent } from './helpers/corpus.ts';
import { HELLO_SMOKE_ARGS } from './helpers/hello.ts';
import { runCli } from './helpers/run-action.ts';
import { HAVE, requireTools, toolWorks } from './helpers/tools.ts';

const ROOT = resolve(import.meta.dirname, '..');
const PKG = join(ROOT, 'packages/cli');
const VERSION = (JSON.parse(readFileSync(join(PKG, 'package.json'), 'utf8')) as { version: string }).version;

// What `--help`, `--version` and `verify` must never load: the docker toolkit, the tool cache, the registry client
// and the HTTP client under it (undici).
const NEVER_AT_START: [string, RegExp][] = [
  ['@docker/actions-toolkit', /node_modules\/@docker\/actions-toolkit\//],
  ['@actions/tool-cache', /node_modules\/@actions\/tool-cache\//],
  ['the registry client', /^packages\/oci\/src\/registry\.ts$/],
  ['undici', /node_modules\/undici\//],
];

const HOOKS = `import { appendFileSync } from 'node:fs';
export async function load(url, context, next) {
  if (url.startsWith('file:') && process.env.WASM_BUILD_LOAD_LOG) appendFileSync(process.env.WASM_BUILD_LOAD_LOG, url + '\\n');
  return next(url, context);
}
`;

const pipelineTools = requireTools('the installed CLI running the main job', {
  '/usr/bin/cargo': toolWorks('/usr/bin/cargo'),
  'wasm-opt': HAVE.wasmOpt,
  'docker-registry': HAVE.registry,
  'skopeo, oras or docker buildx': HAVE.skopeo || HAVE.oras || HAVE.buildx,
});
const corpus = corpusPresent();
if (!corpus) console.log(`SKIP verify of corpus modules: no corpus at ${CORPUS}`);

describe('the wasm-build npm package', () => {
  let tmp = '';
  let tarball = '';
  let installed = '';
  let bin = '';
  let outside = '';
  let meta: Metafile;
  let runs = 0;

  beforeAll(() => {
    tmp = realpathSync(mkdtempSync(join(tmpdir(), 'cli-package-')));
    const pack = spawnSync('npm', ['pack', '--pack-destination', tmp], { cwd: PKG, encoding: 'utf8' });
    expect(pack.status, pack.stderr).toBe(0);
    // Read now: the tarball's chunks are named by content hash, and a later build may replace dist/.
    meta = JSON.parse(readFileSync(join(PKG, 'dist/meta.json'), 'utf8'));
    tarball = join(tmp, readdirSync(tmp).find((f) => /^wasm-build-.+\.tgz$/.test(f))!);
    const prefix = join(tmp, 'prefix');
    const install = spawnSync(
      'npm',
      ['install', '--global', '--offline', '--no-audit', '--no-fund', '--prefix', prefix, tarball],
      { cwd: tmp, encoding: 'utf8' },
    );
    expect(install.status, install.stderr).toBe(0);
    installed = join(prefix, 'lib/node_modules/wasm-build');
    bin = join(prefix, 'bin/wasm-build');
    outside = join(tmp, 'elsewhere');
    mkdirSync(outside);
    writeFileSync(join(tmp, 'hooks.mjs'), HOOKS);
    writeFileSync(
      join(tmp, 'register.mjs'),
      `import { register } from 'node:module';\nregister(${JSON.stringify(pathToFileURL(join(tmp, 'hooks.mjs')).href)});\n`,
    );
  }, 180_000);
  afterAll(() => {
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  /** Runs the installed `wasm-build` (through its bin link, as a shell would) in a directory outside the checkout. */
  function run(args: string[], env: Record<string, string> = {}) {
    const log = join(tmp, `loaded-${++runs}.txt`);
    writeFileSync(log, '');
    const r = spawnSync(bin, args, {
      cwd: outside,
      encoding: 'utf8',
      env: {
        ...process.env,
        ...env,
        NODE_OPTIONS: `--import=${pathToFileURL(join(tmp, 'register.mjs')).href}`,
        WASM_BUILD_LOAD_LOG: log,
      },
      timeout: 170_000,
    });
    return { code: r.status, stdout: r.stdout, stderr: r.stderr, loaded: () => loadedSources(log) };
  }

  /** The sources (metafile input paths) in the bundle files a run loaded; fails on a file the metafile does not know. */
  function loadedSources(log: string): string[] {
    const files = readFileSync(log, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((url) => relative(installed, fileURLToPath(url)));
    expect(
      files.filter((f) => f.startsWith('..')),
      'every file loaded is in the package',
    ).toEqual([]);
    const bundle = files.filter((f) => f.startsWith('dist/'));
    expect(bundle).toContain('dist/cli.mjs');
    return bundle.flatMap((f) => {
      const out = meta.outputs[`packages/cli/${f}`];
      expect(out, `${f} in dist/meta.json`).toBeDefined();
      return Object.entries(out.inputs)
        .filter(([, i]) => i.bytesInOutput > 0)
        .map(([input]) => input);
    });
  }

  const never = (sources: string[]) =>
    NEVER_AT_START.filter(([, re]) => sources.some((s) => re.test(s))).map(([name]) => name);

  it('packs only the bundle, its licenses and the bin, with no dependencies to install', () => {
    const list = spawnSync('tar', ['-tzf', tarball], { encoding: 'utf8' }).stdout.trim().split('\n');
    expect(
      list.filter(
        (f) =>
          !/^package\/(package\.json|bin\/wasm-build\.js|dist\/(cli\.mjs|licenses\.txt|chunks\/[\w-]+\.mjs))$/.test(f),
      ),
    ).toEqual([]);
    const pkg = JSON.parse(spawnSync('tar', ['-xzOf', tarball, 'package/package.json'], { encoding: 'utf8' }).stdout);
    expect(pkg).toMatchObject({ name: 'wasm-build', version: VERSION, bin: { 'wasm-build': 'bin/wasm-build.js' } });
    expect(Object.keys(pkg).filter((k) => /dependencies$/i.test(k))).toEqual([]);
    // Every npm package with bytes in the bundle has its license in dist/licenses.txt.
    const licenses = readFileSync(join(installed, 'dist/licenses.txt'), 'utf8').split('\n');
    const bundled = new Set(
      Object.values(meta.outputs).flatMap((o) =>
        Object.entries(o.inputs)
          .filter(([, i]) => i.bytesInOutput > 0)
          .map(([f]) => /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(f)?.[1])
          .filter((p): p is string => !!p),
      ),
    );
    expect(bundled).toContain('@docker/actions-toolkit');
    expect([...bundled].filter((p) => !licenses.includes(p))).toEqual([]);
  });

  it('runs through npx from the tarball as well, offline, outside the checkout', () => {
    const r = spawnSync('npx', ['--offline', '--yes', '--package', tarball, 'wasm-build', '--help'], {
      cwd: outside,
      encoding: 'utf8',
      env: { ...process.env, npm_config_cache: join(tmp, 'npm-cache') },
    });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^Usage:\n {2}wasm-build /);
  });

  it('--help prints the usage and loads neither the pipeline nor its network and install code', () => {
    const r = run(['--help']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^Usage:\n {2}wasm-build \[options\]/);
    expect(r.stderr).toBe('');
    const sources = r.loaded();
    expect(never(sources)).toEqual([]);
    expect(sources).not.toContain('packages/pipeline/src/pipeline.ts');
  });

  it('--version prints the package version baked into the bundle and the tools, loading none of the pipeline', () => {
    const r = run(['--version']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.split('\n')[0]).toBe(`wasm-build ${VERSION} (node ${process.version})`);
    expect(r.stdout).toMatch(/^ {2}wasm-opt {2,}/m);
    expect(never(r.loaded())).toEqual([]);
  });

  it('verify checks a generated 1 MB module (exit 0) and a truncated one (exit 1), loading only the decoder side', () => {
    const good = join(tmp, 'generated.wasm');
    writeFileSync(good, makeLargeModule(1024 * 1024));
    const r = run(['verify', '--json', good]);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ validity: { status: 'valid' } });
    const sources = r.loaded();
    expect(sources).toContain('packages/wasm/src/decode.ts');
    expect(never(sources)).toEqual([]);

    const bad = join(tmp, 'truncated.wasm');
    writeFileSync(bad, Buffer.from([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0, 1, 0x20, 1, 0x60]));
    const t = run(['verify', bad]);
    expect(t.code).toBe(1);
    expect(t.stderr).toMatch(/is not a valid WebAssembly module: length out of bounds at byte offset 10/);
    expect(t.stderr).not.toMatch(/\n\s+at .+:\d+:\d+/);
  });

  it.runIf(corpus)("verify prints the tables exactly as the checkout's CLI (the sources, through tsx) does", () => {
    const module = join(CORPUS, 'binaries/wasi-testsuite_thread_spawn-simple.wasm');
    const r = run(['verify', module]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/shared-memory\s+[│|] yes\s+[│|] imported memory env\.memory/);
    expect(r.stdout).toMatch(/^atomics: 59 /m);
    expect(never(r.loaded())).toEqual([]);
    // The bundle measures table cells with a faster string width (scripts/build-cli.ts): the output is the same.
    const large = join(tmp, 'generated-for-tables.wasm');
    writeFileSync(large, makeLargeModule(64 * 1024));
    // Plain, and coloured (escapes take string-width's path) and narrow (cells wrapped and cut with an ellipsis).
    for (const file of [module, large])
      for (const env of [{}, { FORCE_COLOR: '1', COLUMNS: '60' }] as Record<string, string>[]) {
        const ours = run(['verify', file], env);
        const sources = runCli(['verify', file], env);
        expect([ours.code, ours.stdout]).toEqual([sources.code, sources.stdout]);
      }
  });

  it.runIf(pipelineTools)(
    "runs the README's main job on examples/hello with its own registry, loading the push code but no installer",
    () => {
      const r = run([
        join(ROOT, 'examples/hello'),
        '--toolchain',
        '/usr',
        '--local-registry',
        ...HELLO_SMOKE_ARGS,
        '--work-dir',
        join(tmp, 'work'),
      ]);
      expect(r.code, r.stderr).toBe(0);
      for (const stage of ['setup', 'build', 'optimize', 'verify', 'image', 'push', 'smoke-test'])
        expect(r.stdout).toMatch(new RegExp(`[│|] ${stage}\\s+[│|] ok `));
      expect(r.stdout).toContain('Hello from wasm-build!\narg[1]=world\nGREETING=hi');
      expect(r.stdout).toMatch(
        /^digest: sha256:[0-9a-f]{64} {2}\(read back from 127\.0\.0\.1:\d+\/wasm-build\/hello@sha256:/m,
      );
      // The hook sees what the commands above must not load, once a command needs it: the check is not blind. The
      // docker toolkit loads only where a buildx answers (on GitHub's runners, not here); with nothing to install the
      // tool cache does not load, nor @actions/cache (no crun to build); and undici only for a proxy (Node's own
      // fetch serves the registry client otherwise).
      const toolkit = HAVE.buildx || toolWorks('buildx', ['version']);
      const proxy = ['HTTPS_PROXY', 'https_proxy', 'HTTP_PROXY', 'http_proxy'].some((v) => process.env[v]);
      const loaded = r.loaded();
      expect(never(loaded)).toEqual(
        NEVER_AT_START.map(([name]) => name).filter(
          (name) =>
            name === 'the registry client' ||
            (name === '@docker/actions-toolkit' && toolkit) ||
            (name === 'undici' && proxy),
        ),
      );
      expect(loaded.filter((s) => /node_modules\/(@actions\/cache|@azure)\//.test(s))).toEqual([]);
    },
  );
});
