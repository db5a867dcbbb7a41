// licenses.txt of a bundle: the licence of every npm package that put bytes into it (scripts/build-dist.ts for the
// actions, scripts/build-cli.ts for the CLI package).
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Metafile } from 'esbuild';

/**
 * The files of esbuild's metafile outputs that put bytes into the bundle (tree-shaken inputs are in the metafile
 * but not in the output), as paths relative to `absWorkingDir`.
 */
export function bundledFiles(meta: Metafile): string[] {
  return Object.values(meta.outputs).flatMap((o) =>
    Object.entries(o.inputs)
      .filter(([, i]) => i.bytesInOutput > 0)
      .map(([f]) => f),
  );
}

/**
 * The npm packages (name → directory under `root`) the files belong to, sorted by name. Workspace packages resolve
 * to packages/*, not node_modules, so they are not listed.
 */
export function bundledPackages(files: Iterable<string>, root: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const file of files) {
    const m = /^(.*node_modules\/)((?:@[^/]+\/)?[^/]+)\//.exec(file);
    if (m) out.set(m[2], join(root, m[1], m[2]));
  }
  return new Map([...out].sort(([a], [b]) => a.localeCompare(b)));
}

/** The text of licenses.txt: each package's name, then its licence file (or its package.json `license`). */
export function licensesText(packages: Map<string, string>): string {
  return [...packages].map(([pkg, dir]) => `${pkg}\n${licenseText(dir)}\n`).join('\n');
}

function licenseText(dir: string): string {
  const file = readdirSync(dir).find((f) => /^(licen[cs]e|copying)(\.|$)/i.test(f));
  if (file) return readFileSync(join(dir, file), 'utf8').trim();
  const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
  return `License: ${pkg.license ?? 'UNKNOWN'} (no license file in the package)`;
}
