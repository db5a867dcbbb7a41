// Crafted layers and layouts through the real code paths: unpackLayers, smokeImage under Node's WASI, the smoke-test
// and image action bundles as the runner runs them, and the CLI. Each case asserts the exact refusal, that nothing
// outside the temp dir was written or deleted (a sentinel beside it, and a snapshot of its parent), and that the
// hostile module never ran. Build the bundles first (`npm run build-dist`); .ci/run does.
import { spawnSync } from 'node:child_process';
import {
  chmodSync,
  chownSync,
  cpSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { memoryLog, UserError } from '@wasm-build/kit';
import { buildImage, layoutManifestDigest, type RunnableImage, writeLayout } from '@wasm-build/oci';
import { type SmokeResult, smokeImage, unpackLayers } from '@wasm-build/smoke';
import { verifyBinary } from '@wasm-build/wasm';
import { afterEach, describe, expect, it } from 'vitest';
import {
  type CraftedLayer,
  device,
  dir,
  escapeChain,
  fifo,
  file,
  gzipBomb,
  hardlink,
  layerOf,
  longComponent,
  longPath,
  sha256,
  symlink,
  treeSnapshot,
  truncated,
  WHITEOUT_ESCAPES,
  wasiEcho,
  whiteout,
  writeCraftedLayout,
} from './helpers/crafted.ts';
import { ROOT, runAction } from './helpers/run-action.ts';
import { HAVE, requireTools } from './helpers/tools.ts';

const BENIGN = wasiEcho('benign module\n');
const EVIL = wasiEcho('EVIL RAN\n');

/**
 * A fresh temp dir holding a sentinel file and a host module (`host/evil.wasm`) that a crafted chain aims at. `work`
 * is where the code under test may write (a rootfs, RUNNER_TEMP); `intact()` asserts that everything else in the
 * temp dir is as it was and that `work` holds only what `workLeft` says.
 */
const arenas: string[] = [];
afterEach(() => {
  for (const root of arenas.splice(0)) rmSync(root, { recursive: true, force: true });
});

function arena() {
  const root = mkdtempSync(join(tmpdir(), 'crafted-'));
  arenas.push(root);
  mkdirSync(join(root, 'host'));
  writeFileSync(join(root, 'host', 'evil.wasm'), EVIL);
  writeFileSync(join(root, 'sentinel'), 'keep me');
  const work = join(root, 'work');
  mkdirSync(work);
  const before = treeSnapshot(root, ['work']);
  return {
    root,
    work,
    evil: join(root, 'host', 'evil.wasm'),
    intact(workLeft: string[] = []) {
      expect(treeSnapshot(root, ['work'])).toEqual(before);
      expect(readFileSync(join(root, 'sentinel'), 'utf8')).toBe('keep me');
      expect(readdirSync(work).sort()).toEqual(workLeft);
    },
  };
}

const benignLayer = () => layerOf([file('app.wasm', BENIGN, 0o755)]);

function runnable(layers: CraftedLayer[], entrypoint = ['/app.wasm']): RunnableImage {
  return {
    digest: sha256(Buffer.from(JSON.stringify(layers.map((l) => l.digest)))),
    platform: 'wasi/wasm',
    entrypoint,
    cmd: [],
    env: [],
    annotations: {},
    layers,
  };
}

async function smokeNode(
  image: RunnableImage,
  runnerTemp: string,
  o: { moduleSha256?: string; stdout?: string } = {},
): Promise<SmokeResult[]> {
  const saved = process.env.RUNNER_TEMP;
  process.env.RUNNER_TEMP = runnerTemp;
  try {
    return await smokeImage(
      {
        image,
        report: await verifyBinary(BENIGN),
        moduleSha256: o.moduleSha256,
        runtimes: ['node'],
        expectations: { stdout: o.stdout, timeoutMs: 10_000 },
        tools: {
          wasmedge: async () => ({ skip: 'not here' }),
          wasmtime: async () => ({ skip: 'not here' }),
          crun: async () => ({ skip: 'not here' }),
        },
      },
      memoryLog(),
    );
  } finally {
    process.env.RUNNER_TEMP = saved;
  }
}

describe('crafted layers through unpackLayers', () => {
  const cases: [string, () => Promise<CraftedLayer[]>, RegExp | string][] = [
    ...WHITEOUT_ESCAPES.map((name): [string, () => Promise<CraftedLayer[]>, string] => {
      const victim = name.slice(name.lastIndexOf('.wh.') + 4);
      return [
        `the whiteout ${name}`,
        async () => [await layerOf([file('dir/keep'), file('top')]), await layerOf([whiteout(name)])],
        `entry "${name}" is a whiteout of ${victim ? `"${victim}"` : 'an empty name'}, which would delete its own directory or a parent of it`,
      ];
    }),
    [
      'a symlink chain to a host module',
      async () => [await benignLayer(), await layerOf(escapeChain('app.wasm', '/etc/hostname'))],
      /^entry "sub\/l1" is a symlink that leads outside the rootfs when followed: "sub\/l1 -> up\/..", "sub\/up -> .."$/,
    ],
    [
      'a character device',
      async () => [await layerOf([device('dev/null')])],
      'entry "dev/null" is a device node (character-device); a wasm image holds none',
    ],
    [
      'a block device',
      async () => [await layerOf([device('sda', 'block-device')])],
      'entry "sda" is a device node (block-device); a wasm image holds none',
    ],
    ['a FIFO', async () => [await layerOf([fifo('p')])], 'entry "p" is a FIFO; a wasm image holds none'],
    [
      'a hard link to a symlink',
      async () => [await layerOf([symlink('s', 'app.wasm'), hardlink('h', 's')])],
      'entry "h" is a hard link to s, which is not a file in the rootfs',
    ],
  ];

  it.each(cases)('refuses %s, and nothing outside the rootfs changes', async (_what, make, why) => {
    const a = arena();
    const layers = await make();
    const bad = layers.at(-1)!.digest;
    const err = await unpackLayers(layers, join(a.work, 'rootfs')).catch((e) => e);
    expect(err).toBeInstanceOf(UserError);
    const prefix = `Refusing layer ${bad}: `;
    expect(err.message.slice(0, prefix.length)).toBe(prefix);
    if (typeof why === 'string') expect(err.message.slice(prefix.length)).toBe(why);
    else expect(err.message.slice(prefix.length)).toMatch(why);
    a.intact(['rootfs']);
  });

  it.each([
    ['a 300-byte name', longComponent(300), /^entry "n{120}…" \(300 bytes\) has a name longer than/],
    ['a 5000-byte path', longPath(5000), /^entry "p{120}…" \(5\d{3} bytes\) has a name longer than/],
  ])('%s is a one-line UserError with ENAMETOOLONG', async (_what, name, entry) => {
    const a = arena();
    const l = await layerOf([file(name)]);
    const err = await unpackLayers([l], join(a.work, 'rootfs')).catch((e) => e);
    expect(err).toBeInstanceOf(UserError);
    expect(err.message).toMatch(new RegExp(`^Cannot unpack layer ${l.digest}: `));
    expect(err.message.slice(`Cannot unpack layer ${l.digest}: `.length)).toMatch(entry);
    expect(err.message).toMatch(/\(ENAMETOOLONG\)$/);
    a.intact(['rootfs']);
  });

  it('a truncated tar is a UserError at the entry, not an uncaught stream error', async () => {
    const a = arena();
    const whole = await layerOf([file('app.wasm', Buffer.alloc(5000, 1)), dir('d/')], { gzip: false });
    const cut = truncated(whole, 1500);
    const err = await unpackLayers([cut], join(a.work, 'rootfs')).catch((e) => e);
    expect(err).toBeInstanceOf(UserError);
    expect(err.message).toBe(
      `Cannot unpack layer ${cut.digest}: its tar is truncated or corrupt (Unexpected end of data) at entry "app.wasm"`,
    );
    a.intact(['rootfs']);
  });

  it('a truncated gzip layer is a UserError naming the layer', async () => {
    const a = arena();
    const cut = truncated(await layerOf([file('app.wasm', Buffer.alloc(50_000, 7))]), 60);
    const err = await unpackLayers([cut], join(a.work, 'rootfs')).catch((e) => e);
    expect(err).toBeInstanceOf(UserError);
    expect(err.message).toContain(cut.digest);
    a.intact(['rootfs']);
  });

  it('a 3 MB → 3 GiB gzip bomb is refused with peak RSS under 256 MiB (measured in a child)', () => {
    const a = arena();
    // Made here, read there: the child's peak RSS is the unpack's (and Node's own), not the generator's.
    const bomb = gzipBomb(3 * 1024 ** 3);
    writeFileSync(join(a.work, 'bomb.gz'), bomb.bytes);
    const script = join(a.work, 'bomb.mts');
    writeFileSync(
      script,
      `import { readFileSync } from 'node:fs';
import { unpackLayers } from ${JSON.stringify(join(ROOT, 'packages/smoke/src/index.ts'))};
const bytes = readFileSync(${JSON.stringify(join(a.work, 'bomb.gz'))});
const layer = { mediaType: ${JSON.stringify(bomb.mediaType)}, digest: ${JSON.stringify(bomb.digest)}, bytes };
const out = { error: '', name: '', maxRssMiB: 0 };
try { await unpackLayers([layer], ${JSON.stringify(join(a.work, 'rootfs'))}); } catch (e) { out.error = e.message; out.name = e.name; }
out.maxRssMiB = process.resourceUsage().maxRSS / 1024;
console.log(JSON.stringify(out));
`,
    );
    const r = spawnSync(process.execPath, ['--import', 'tsx', script], {
      cwd: ROOT,
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(r.status, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout.trim().split('\n').at(-1)!);
    expect(bomb.bytes.length).toBeLessThan(4 * 1024 * 1024);
    expect(out.name).toBe('UserError');
    expect(out.error.slice(0, `Refusing layer ${bomb.digest}: it decompresses to more than `.length)).toBe(
      `Refusing layer ${bomb.digest}: it decompresses to more than `,
    );
    expect(out.maxRssMiB).toBeLessThan(256);
    a.intact(['bomb.gz', 'bomb.mts', 'rootfs']);
  });
});

describe('crafted images through smokeImage under Node', () => {
  it('refuses a chain to a host module, which never runs; the temp dir is removed', async () => {
    const a = arena();
    const image = runnable([await benignLayer(), await layerOf(escapeChain('app.wasm', a.evil))]);
    const err = await smokeNode(image, a.work, { stdout: 'EVIL RAN' }).catch((e) => e);
    expect(err).toBeInstanceOf(UserError);
    expect(err.message).toMatch(
      new RegExp(
        `^Refusing layer ${image.layers[1].digest}: entry "sub/l1" is a symlink that leads outside the rootfs`,
      ),
    );
    a.intact();
  });

  it('refuses an entrypoint swapped by a symlink for another file of the image (not what verify checked)', async () => {
    const a = arena();
    const l1 = await layerOf([file('app.wasm', BENIGN, 0o755), file('other.wasm', EVIL, 0o755)]);
    const image = runnable([l1, await layerOf([symlink('app.wasm', 'other.wasm')])]);
    const err = await smokeNode(image, a.work, { moduleSha256: sha256(BENIGN), stdout: 'EVIL RAN' }).catch((e) => e);
    expect(err).toBeInstanceOf(UserError);
    expect(err.message).toBe(
      `Image ${image.digest} runs "/app.wasm", whose bytes (${sha256(EVIL)}, at /other.wasm) are not the module verify checked (${sha256(BENIGN)})`,
    );
    a.intact();
  });

  it('refuses an entrypoint a later layer replaced, when verify checked the built module', async () => {
    const a = arena();
    const image = runnable([await benignLayer(), await layerOf([file('app.wasm', EVIL, 0o755)])]);
    const err = await smokeNode(image, a.work, { moduleSha256: sha256(BENIGN) }).catch((e) => e);
    expect(err?.message).toBe(
      `Image ${image.digest} runs "/app.wasm", whose bytes (${sha256(EVIL)}, at /app.wasm) are not the module verify checked (${sha256(BENIGN)})`,
    );
    a.intact();
  });

  it('refuses an entrypoint that leads outside the rootfs by its own path', async () => {
    const a = arena();
    const image = runnable(
      [await benignLayer(), await layerOf([dir('d/'), symlink('d/up', '..')])],
      ['/d/up/../host/evil.wasm'],
    );
    const err = await smokeNode(image, a.work).catch((e) => e);
    expect(err?.message).toBe(
      `Image ${image.digest} runs "/d/up/../host/evil.wasm", which leads outside the rootfs when followed: "d/up -> .."`,
    );
    a.intact();
  });

  it('runs an entrypoint reached through symlinks inside the rootfs (the verified bytes) and passes', async () => {
    const a = arena();
    const image = runnable([
      await layerOf([dir('bin/'), file('bin/real.wasm', BENIGN, 0o755), symlink('bin/up', '..')]),
      await layerOf([symlink('app.wasm', 'bin/up/bin/real.wasm')]),
    ]);
    const [r] = await smokeNode(image, a.work, { moduleSha256: sha256(BENIGN), stdout: 'benign module' });
    expect(r).toMatchObject({ status: 'pass', stdout: 'benign module' });
    a.intact();
  });

  it('refuses a whiteout of ".." and deletes neither the rootfs nor its parent', async () => {
    const a = arena();
    const image = runnable([await benignLayer(), await layerOf([whiteout('.wh...')])]);
    await expect(smokeNode(image, a.work)).rejects.toThrow(
      `Refusing layer ${image.layers[1].digest}: entry ".wh..." is a whiteout of "..", which would delete its own directory or a parent of it`,
    );
    a.intact();
  });
});

// Root ignores directory permissions: the read-only cases run as an unprivileged user (nobody) when we are root.
const asUser = process.getuid?.() === 0 ? { uid: 65534, gid: 65534 } : {};
const nobodyOk = process.getuid?.() !== 0 || spawnSync('id', ['nobody']).status === 0;

describe.runIf(requireTools('read-only directories in a rootfs (run as a non-root user)', { nobody: nobodyOk }))(
  'read-only directories in a rootfs',
  () => {
    it('do not stop the unpack, are removed afterwards, and never hide the smoke result', async () => {
      const a = arena();
      chmodSync(a.root, 0o755); // the unprivileged child must reach work/
      const ctl = join(a.work, 'ctl'); // the child's script and layer, readable by it
      const rt = join(a.work, 'rt'); // its RUNNER_TEMP, owned by it
      mkdirSync(ctl);
      mkdirSync(rt);
      chownSync(rt, asUser.uid ?? process.getuid!(), asUser.gid ?? process.getgid!());
      const layer = await layerOf([
        file('app.wasm', BENIGN, 0o755),
        dir('late/', 0o555), // read-only before its entries: the unpack must still write them
        file('late/f', 'f'),
        file('early/sub/f', 'f'),
        dir('early/sub/', 0o500),
        dir('early/', 0o555), // read-only after its entries: the cleanup must still remove them
      ]);
      writeFileSync(join(ctl, 'layer.json'), JSON.stringify({ ...layer, bytes: layer.bytes.toString('base64') }));
      const script = join(ctl, 'ro.mts');
      writeFileSync(
        script,
        `import { readFileSync, readdirSync } from 'node:fs';
import { memoryLog } from ${JSON.stringify(join(ROOT, 'packages/kit/src/index.ts'))};
import { smokeImage } from ${JSON.stringify(join(ROOT, 'packages/smoke/src/index.ts'))};
import { verifyBinary } from ${JSON.stringify(join(ROOT, 'packages/wasm/src/index.ts'))};
const l = JSON.parse(readFileSync(${JSON.stringify(join(ctl, 'layer.json'))}, 'utf8'));
const layers = [{ ...l, bytes: Buffer.from(l.bytes, 'base64') }];
const log = memoryLog();
const out = { uid: process.getuid(), results: [], error: '', warnings: [], left: [] };
try {
  out.results = await smokeImage({
    image: { digest: 'sha256:ro', platform: 'wasi/wasm', entrypoint: ['/app.wasm'], cmd: [], env: [], annotations: {}, layers },
    report: await verifyBinary(Uint8Array.from(${JSON.stringify([...BENIGN])})),
    runtimes: ['node'],
    expectations: { stdout: 'benign module', timeoutMs: 10000 },
    tools: { wasmedge: async () => ({ skip: '' }), wasmtime: async () => ({ skip: '' }), crun: async () => ({ skip: '' }) },
  }, log);
} catch (e) { out.error = e.message; }
out.warnings = log.lines.filter((x) => x.startsWith('warning:'));
out.left = readdirSync(process.env.RUNNER_TEMP).filter((n) => n.startsWith('wasm-build-'));
console.log(JSON.stringify(out));
`,
      );
      const r = spawnSync(process.execPath, ['--import', 'tsx', script], {
        cwd: ROOT,
        encoding: 'utf8',
        timeout: 60_000,
        ...asUser,
        // TMPDIR stays the default, so tsx's cache (tmpdir/tsx-<uid>) survives between runs.
        env: { PATH: process.env.PATH, RUNNER_TEMP: rt, HOME: rt },
      });
      expect(r.status, r.stderr).toBe(0);
      const out = JSON.parse(r.stdout.trim().split('\n').at(-1)!);
      expect(out.uid).not.toBe(0);
      expect(out.error).toBe('');
      expect(out.results).toMatchObject([{ status: 'pass', stdout: 'benign module' }]);
      expect(out.warnings).toEqual([]);
      expect(out.left).toEqual([]);
      a.intact(['ctl', 'rt']);
    });
  },
);

// --- the action bundles, as the runner runs them ------------------------------------------------------------------

describe('crafted layouts through the smoke-test action (dist/index.cjs)', () => {
  async function smokeAction(a: ReturnType<typeof arena>, layers: CraftedLayer[], stdout: string) {
    const layout = join(a.work, 'layout');
    writeCraftedLayout(layout, { layers });
    const runnerTemp = join(a.work, 'runner-temp');
    mkdirSync(runnerTemp);
    const r = await runAction(
      'smoke-test',
      { 'layout-dir': layout, runtimes: 'node', 'expect-stdout': stdout },
      { env: { RUNNER_TEMP: runnerTemp } },
    );
    const all = `${r.stdout}\n${r.stderr}\n${JSON.stringify(r.outputs)}\n${r.summary}`;
    return { r, all, runnerTemp };
  }

  // verify reads the entrypoint the way unpacking leaves it (entrypointModule) and may refuse first; either
  // refusal is right, as long as the step fails before anything runs.
  const REFUSED = /^::error::(Refusing layer sha256:[a-f0-9]{64}: entry "[^"]+" |Image sha256:[a-f0-9]{64} runs )/m;

  it('a symlink chain on the entrypoint to a host module fails the step; the host module never runs', async () => {
    const a = arena();
    const l2 = await layerOf(escapeChain('app.wasm', a.evil));
    const { r, all, runnerTemp } = await smokeAction(a, [await benignLayer(), l2], 'EVIL RAN');
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(REFUSED);
    expect(all).not.toContain('EVIL RAN');
    expect(readdirSync(runnerTemp)).toEqual([]);
    a.intact(['layout', 'runner-temp']);
  });

  it('a symlink chain elsewhere in the image fails the step with the unpack refusal', async () => {
    const a = arena();
    const l2 = await layerOf(escapeChain('lib/data', a.root));
    const { r, runnerTemp } = await smokeAction(a, [await benignLayer(), l2], 'benign module');
    expect(r.code).toBe(1);
    expect(r.stdout).toContain(
      `::error::Refusing layer ${l2.digest}: entry "sub/l1" is a symlink that leads outside the rootfs when followed: "sub/l1 -> up/..", "sub/up -> ..". The image was not built by wasm-build or was tampered with; rebuild it from the crate`,
    );
    expect(readdirSync(runnerTemp)).toEqual([]);
    a.intact(['layout', 'runner-temp']);
  });

  it('a device node in the image fails the step with the unpack refusal', async () => {
    const a = arena();
    const l2 = await layerOf([device('dev/mem')]);
    const { r, runnerTemp } = await smokeAction(a, [await benignLayer(), l2], 'benign module');
    expect(r.code).toBe(1);
    expect(r.stdout).toContain(
      `::error::Refusing layer ${l2.digest}: entry "dev/mem" is a device node (character-device); a wasm image holds none`,
    );
    expect(readdirSync(runnerTemp)).toEqual([]);
    a.intact(['layout', 'runner-temp']);
  });

  it.each([
    '.wh..',
    '.wh...',
    'dir/.wh..',
  ])('a whiteout %j fails the step and deletes neither the rootfs, its parent nor RUNNER_TEMP', async (name) => {
    const a = arena();
    const { r, runnerTemp } = await smokeAction(
      a,
      [await benignLayer(), await layerOf([whiteout(name)])],
      'benign module',
    );
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(REFUSED);
    expect(r.stdout).toContain(`"${name}"`);
    expect(readdirSync(runnerTemp)).toEqual([]);
    a.intact(['layout', 'runner-temp']);
  });
});

describe('the image action given a layout-dir that is not a layout (dist/index.cjs)', () => {
  function crate(root: string) {
    const c = join(root, 'crate');
    mkdirSync(join(c, 'src'), { recursive: true });
    writeFileSync(join(c, 'Cargo.toml'), '[package]\nname = "hello"\nversion = "0.1.0"\n');
    writeFileSync(join(c, 'src', 'main.rs'), 'fn main() {}\n');
    writeFileSync(join(root, 'app.wasm'), BENIGN);
    return c;
  }

  it('refuses a crate directory, leaving its files and no scratch directory', async () => {
    const a = arena();
    const c = crate(a.work);
    const before = treeSnapshot(a.work);
    const r = await runAction('image', {
      wasm: join(a.work, 'app.wasm'),
      'layout-dir': c,
      'manifest-path': join(c, 'Cargo.toml'),
    });
    expect(r.code).toBe(1);
    expect(r.stdout).toContain(
      `::error::Refusing to write the OCI layout to "${c}": it is a directory that is neither empty nor an OCI layout (no oci-layout file; it holds "Cargo.toml", "src")`,
    );
    expect(treeSnapshot(a.work)).toEqual(before);
    a.intact(['app.wasm', 'crate']);
  });

  it('replaces the layout an earlier run wrote, leaving no scratch directory', async () => {
    const a = arena();
    const c = crate(a.work);
    const layout = join(a.work, 'layout');
    writeLayout(await buildImage({ wasm: EVIL, name: 'old' }), layout, 'latest');
    const r = await runAction('image', {
      wasm: join(a.work, 'app.wasm'),
      'layout-dir': layout,
      'manifest-path': join(c, 'Cargo.toml'),
    });
    expect(r.code, r.stdout).toBe(0);
    expect(r.outputs['layout-dir']).toBe(layout);
    expect(layoutManifestDigest(layout, 'latest')).toBe(r.outputs.digest);
    expect(readdirSync(layout).sort()).toEqual(['blobs', 'index.json', 'oci-layout']);
    expect(readdirSync(join(layout, 'blobs', 'sha256'))).toHaveLength(3); // the old image's blobs are gone
    a.intact(['app.wasm', 'crate', 'layout']);
  });
});

const cli = requireTools('the CLI refusing --layout . inside a crate', { 'cargo +debian': HAVE.debianRust });

describe.runIf(cli)('the CLI with --layout . inside a crate', () => {
  it('refuses it and leaves Cargo.toml and src/ in place', () => {
    const a = arena();
    const c = join(a.work, 'hello');
    cpSync(join(ROOT, 'examples/hello'), c, {
      recursive: true,
      filter: (src) => !src.startsWith(join(ROOT, 'examples/hello/target')),
    });
    const r = spawnSync(
      process.execPath,
      // The dev profile without wasm-opt: the quickest build that reaches the image stage.
      [
        join(ROOT, 'bin/wasm-build.js'),
        '.',
        '--toolchain',
        'debian',
        '--profile',
        'dev',
        '--no-optimize',
        '--no-smoke',
        '--layout',
        '.',
      ],
      { cwd: c, encoding: 'utf8', timeout: 170_000 },
    );
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(
      new RegExp(
        `^wasm-build: Refusing to write the OCI layout to "${c}": it is a directory that is neither empty nor an OCI layout`,
        'm',
      ),
    );
    expect(readFileSync(join(c, 'Cargo.toml'), 'utf8')).toBe(
      readFileSync(join(ROOT, 'examples/hello/Cargo.toml'), 'utf8'),
    );
    expect(readdirSync(join(c, 'src'))).toEqual(readdirSync(join(ROOT, 'examples/hello/src')));
    expect(readdirSync(a.work)).toEqual(['hello']); // no hello.tmp-* beside it
    a.intact(['hello']);
  });
});
