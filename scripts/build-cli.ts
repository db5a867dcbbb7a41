// Bundles the wasm-build CLI (packages/pipeline/src/cli.ts) into the publishable package packages/cli: one ESM
// entry, dist/cli.mjs, with every npm dependency inside it, so the tarball installs with no dependencies and runs
// without tsx. Code splitting keeps what `--help`, `--version` and `verify` never reach (the pipeline, promote, the
// docker toolkit, the tool cache, the registry client) in chunks that only a dynamic import() loads. Also writes
// dist/licenses.txt (the license of every npm package with bytes in the bundle) and dist/meta.json (esbuild's
// metafile, which test/cli-package.test.itg.ts reads to map a loaded chunk back to its sources; not shipped).
// Run by `npm pack` (prepack in packages/cli/package.json), or `npm run build -w wasm-build`.
import { mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { build, type Plugin } from 'esbuild';
import { bundledFiles, bundledPackages, licensesText } from './licenses.ts';

const ROOT = new URL('..', import.meta.url).pathname;
const PKG = join(ROOT, 'packages', 'cli');
const DIST = join(PKG, 'dist');

// @actions/core imports its OIDC client (and with it @actions/http-client and undici, 0.7 MB) and its `platform`
// helpers (@actions/exec) at the top, for getIDToken and `core.platform`, which nothing here calls. Declared free of
// side effects, they are left out wherever their exports are unused, so `--help` and `verify`, which use
// @actions/core's logging, do not load them.
const UNUSED_AT_START = /^\.\/(oidc-utils|platform)\.js$/;
const sideEffectFree: Plugin = {
  name: 'side-effect-free',
  setup(b) {
    b.onResolve({ filter: UNUSED_AT_START }, async (args) => {
      if (!args.importer.includes('/node_modules/@actions/core/') || args.pluginData === 'resolving') return undefined;
      const r = await b.resolve(args.path, { kind: args.kind, resolveDir: args.resolveDir, pluginData: 'resolving' });
      return r.errors.length ? { errors: r.errors } : { path: r.path, sideEffects: false };
    });
  },
};

// cli-table3 measures each line of each cell with string-width@4 several times (and the ellipsis once per cell it
// fits), and string-width builds a new strip-ansi and emoji-regex RegExp on every call, which V8 compiles afresh each
// time: 2000 calls in a cold process take 127 ms, and `wasm-build verify`'s tables spent 100–240 ms there. The
// width is a pure function of the string, so each string is measured once (a memo), and printable ASCII (most cells)
// is its length, exactly what string-width computes there (no escape, emoji, wide or combining character). What is
// measured still goes through string-width, with one emoji regex shared (String.prototype.replace resets a global
// regex's lastIndex first). The output is unchanged: test/cli-package.test.itg.ts compares it with the sources'.
// https://github.com/sindresorhus/string-width/blob/v4.2.3/index.js
const fastStringWidth: Plugin = {
  name: 'fast-string-width',
  setup(b) {
    // `name` imported from the package `owner` becomes `contents`, which still requires the real `name`.
    const wrap = (name: string, owner: string, contents: string) => {
      b.onResolve({ filter: new RegExp(`^${name}$`) }, (args) =>
        args.namespace === 'file' && args.importer.includes(`/node_modules/${owner}/`)
          ? { path: args.importer, namespace: `wrapped-${name}` }
          : undefined,
      );
      b.onLoad({ filter: /.*/, namespace: `wrapped-${name}` }, (args) => ({
        contents,
        resolveDir: dirname(args.path),
        loader: 'js',
      }));
    };
    wrap(
      'string-width',
      'cli-table3',
      `const stringWidth = require('string-width');
const memo = new Map();
module.exports = (s) => {
  if (typeof s !== 'string') return stringWidth(s);
  if (/^[\\x20-\\x7e]*$/.test(s)) return s.length;
  let width = memo.get(s);
  if (width === undefined) {
    if (memo.size >= 4096) memo.clear();
    width = stringWidth(s);
    memo.set(s, width);
  }
  return width;
};
`,
    );
    wrap('emoji-regex', 'string-width', "const shared = require('emoji-regex')();\nmodule.exports = () => shared;\n");
  },
};

const version = (JSON.parse(readFileSync(join(PKG, 'package.json'), 'utf8')) as { version: string }).version;
// Built next to dist/ and swapped in at the end, so a CLI already running from dist/ loses its lazy chunks only for
// the instant of the swap, never for the whole build.
const out = mkdtempSync(join(PKG, '.dist-'));
const r = await build({
  entryPoints: { cli: join(ROOT, 'packages/pipeline/src/cli.ts') },
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  outdir: out,
  outExtension: { '.js': '.mjs' },
  chunkNames: 'chunks/[name]-[hash]',
  // CommonJS dependencies bundled into ESM call require() for Node's built-ins: give each chunk a real one.
  // https://github.com/evanw/esbuild/issues/1921
  banner: {
    js: "import { createRequire as __wasmBuildCreateRequire } from 'node:module'; const require = __wasmBuildCreateRequire(import.meta.url);",
  },
  // version.ts prints this instead of reading a package.json next to the source, which the tarball does not have.
  define: { WASM_BUILD_VERSION: JSON.stringify(version) },
  plugins: [sideEffectFree, fastStringWidth],
  metafile: true,
  // Names are kept, so that a stack trace (--verbose) still says where; whitespace and syntax are what load time pays.
  minifyWhitespace: true,
  minifySyntax: true,
  legalComments: 'none',
  logLevel: 'warning',
  absWorkingDir: ROOT,
}).catch((e: unknown) => {
  rmSync(out, { recursive: true, force: true });
  throw e;
});
const packages = bundledPackages(bundledFiles(r.metafile), ROOT);
writeFileSync(join(out, 'licenses.txt'), licensesText(packages));
writeFileSync(join(out, 'meta.json'), JSON.stringify(r.metafile).replaceAll(relative(ROOT, out), 'packages/cli/dist'));
const old = `${out}-old`;
try {
  renameSync(DIST, old);
} catch {
  // No dist/ yet.
}
renameSync(out, DIST);
rmSync(old, { recursive: true, force: true });
console.log(
  `packages/cli/dist: wasm-build ${version}, ${Object.keys(r.metafile.outputs).length} files, ${packages.size} npm packages bundled`,
);
