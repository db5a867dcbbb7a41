// Bundles each action (actions/<name>/src/main.ts) to actions/<name>/dist/index.cjs with esbuild, plus the
// licenses of every npm package in the bundle (dist/licenses.txt). `npm run build-dist`.
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { build } from 'esbuild';
import { bundledFiles, bundledPackages, licensesText } from './licenses.ts';

const ROOT = new URL('..', import.meta.url).pathname;
/** wasm-build's version: the CLI package's (packages/cli/package.json). */
const CLI_VERSION = (JSON.parse(readFileSync(join(ROOT, 'packages/cli/package.json'), 'utf8')) as { version: string })
  .version;

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
    bundled.push(...bundledFiles(r.metafile));
  }
  const packages = bundledPackages(bundled, ROOT);
  writeFileSync(join(dist, 'licenses.txt'), licensesText(packages));
  console.log(`actions/${name}/dist: ${packages.size} npm packages bundled`);
}
