// Bundles each action (actions/<name>/src/main.ts) to actions/<name>/dist/index.cjs with esbuild, plus the
// licenses of every npm package in the bundle (dist/licenses.txt). `npm run build-dist`.
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { build } from 'esbuild';

const ROOT = new URL('..', import.meta.url).pathname;
/** wasm-build's version: the CLI package's (packages/cli/package.json). */
const CLI_VERSION = (JSON.parse(readFileSync(join(ROOT, 'packages/cli/package.json'), 'utf8')) as { version: string })
  .version;

/** The npm packages (name → directory) whose files the bundle holds, from esbuild's metafile inputs. */
function bundledPackages(inputs: string[]): Map<string, string> {
  const out = new Map<string, string>();
  for (const file of inputs) {
    const m = /^(.*node_modules\/)((?:@[^/]+\/)?[^/]+)\//.exec(file);
    if (m) out.set(m[2], join(ROOT, m[1], m[2]));
  }
  return new Map([...out].sort(([a], [b]) => a.localeCompare(b)));
}

function licenseText(dir: string): string {
  const file = readdirSync(dir).find((f) => /^(licen[cs]e|copying)(\.|$)/i.test(f));
  if (file) return readFileSync(join(dir, file), 'utf8').trim();
  const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
  return `License: ${pkg.license ?? 'UNKNOWN'} (no license file in the package)`;
}

// Each action's main step, and the post step of an action that has one (the root action's cargo cache save).
const ENTRIES = [
  ['main.ts', 'index.cjs'],
  ['post.ts', 'post.cjs'],
] as const;

for (const name of readdirSync(join(ROOT, 'actions')).sort()) {
  if (!existsSync(join(ROOT, 'actions', name, 'src', 'main.ts'))) continue;
  const dist = join(ROOT, 'actions', name, 'dist');
  mkdirSync(dist, { recursive: true });
  const bundled: string[] = [];
  for (const [source, out] of ENTRIES) {
    const entry = join(ROOT, 'actions', name, 'src', source);
    if (!existsSync(entry)) continue;
    const r = await build({
      entryPoints: [entry],
      bundle: true,
      platform: 'node',
      target: 'node20',
      format: 'cjs',
      outfile: join(dist, out),
      sourcemap: false,
      // ESM-only dependencies (the docker toolkit) read import.meta.url, which a CommonJS bundle lacks.
      // version.ts prints WASM_BUILD_VERSION (the provenance's builder version) instead of reading packages/cli's
      // package.json, which is not beside a bundle.
      define: { 'import.meta.url': 'importMetaUrl', WASM_BUILD_VERSION: JSON.stringify(CLI_VERSION) },
      banner: { js: "const importMetaUrl = require('node:url').pathToFileURL(__filename).href;" },
      metafile: true,
      legalComments: 'none',
      logLevel: 'warning',
      absWorkingDir: ROOT,
    });
    // Only inputs that put bytes into the bundle: tree-shaken modules are in metafile.inputs but not in the output.
    const output = Object.values(r.metafile.outputs)[0];
    bundled.push(
      ...Object.entries(output.inputs)
        .filter(([, i]) => i.bytesInOutput > 0)
        .map(([f]) => f),
    );
  }
  const packages = bundledPackages(bundled);
  writeFileSync(
    join(dist, 'licenses.txt'),
    `${[...packages].map(([pkg, dir]) => `${pkg}\n${licenseText(dir)}\n`).join('\n')}`,
  );
  console.log(`actions/${name}/dist: ${packages.size} npm packages bundled`);
}
