// The statements of issue 16 from real tools: Debian's cargo 1.65/rustc 1.63 (`/usr`), its `cargo metadata`, and
// binaryen's wasm-opt. The SBOM of examples/hello and of a crate with a real dependency graph (a path dependency and
// a crates.io dependency served from a local directory source, since there is no network), and the provenance of
// examples/hello built twice: each valid against its schema (test/fixtures/schemas), and byte-identical.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { exec, memoryLog } from '@wasm-build/kit';
import { buildImage, sha256 } from '@wasm-build/oci';
import { sourceAnnotations } from '@wasm-build/pipeline';
import { cargoBuild, findToolchain } from '@wasm-build/toolchain';
import { verifyBinary } from '@wasm-build/wasm';
import { afterAll, describe, expect, it } from 'vitest';
import { provenanceStatement } from '../packages/pipeline/src/provenance.ts';
import { cargoMetadata, sbomFromCargoMetadata } from '../packages/pipeline/src/sbom.ts';
import { optimizeStep } from '../packages/pipeline/src/steps/build.ts';
import { cycloneDxProblems, provenanceProblems } from './fixtures/schemas/validate.ts';
import { HAVE, requireTools, toolWorks } from './helpers/tools.ts';

const ROOT = resolve(import.meta.dirname, '..');
const HELLO = join(ROOT, 'examples', 'hello', 'Cargo.toml');
const CARGO = '/usr/bin/cargo';
const debianCargo = requireTools('statements from real cargo metadata', {
  'Debian cargo at /usr/bin/cargo (apt rustc cargo)': toolWorks(CARGO),
});
const debianBuild = requireTools('provenance of a real build', {
  'Debian cargo at /usr/bin/cargo (apt rustc cargo)': toolWorks(CARGO),
  'wasm32-wasi std for /usr/bin/rustc (apt libstd-rust-dev-wasm32 lld-14)': existsSync(
    '/usr/lib/rustlib/wasm32-wasi/lib',
  ),
  'wasm-opt (apt binaryen)': HAVE.wasmOpt,
});

const EPOCH = 1_700_000_000;
const IMAGE_DIGEST = `sha256:${'0'.repeat(64)}`;
const tmp = mkdtempSync(join(tmpdir(), 'wasm-build-statements-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const text = (b: Uint8Array) => new TextDecoder().decode(b);

describe.runIf(debianCargo)('SBOM from real cargo metadata', () => {
  it('examples/hello: the crate alone, valid CycloneDX 1.5, byte-identical on a second run', async () => {
    const lock = readFileSync(join(ROOT, 'examples', 'hello', 'Cargo.lock'), 'utf8');
    const make = async () =>
      sbomFromCargoMetadata(await cargoMetadata(CARGO, HELLO, {}, { offline: true }), lock, {
        subjectDigest: IMAGE_DIGEST,
        subjectName: '127.0.0.1:5000/hello',
        created: EPOCH,
        rootName: 'hello',
      });
    const a = await make();
    const b = await make();
    expect(Buffer.from(a).equals(Buffer.from(b))).toBe(true);
    const bom = JSON.parse(text(a));
    expect(cycloneDxProblems(bom)).toEqual([]);
    expect(bom.metadata.component).toMatchObject({
      name: 'hello',
      version: '0.1.0',
      purl: 'pkg:cargo/hello@0.1.0',
      licenses: [{ expression: 'Apache-2.0' }],
    });
    expect(bom.components).toEqual([]);
    expect(bom.dependencies).toEqual([{ ref: 'pkg:cargo/hello@0.1.0', dependsOn: [] }]);
    // cargo's package ids hold this checkout's absolute path; the SBOM must not.
    expect(text(a)).not.toContain(ROOT);
  });

  it('a crate with path, crates.io, dev-only and Windows-only dependencies: graph, checksum, source, platform filter', async () => {
    const ws = join(tmp, 'graph');
    const file = (path: string, content: string) => {
      mkdirSync(join(ws, path, '..'), { recursive: true });
      writeFileSync(join(ws, path), content);
    };
    // crates.io served from a directory source: Cargo.lock records the crates.io source and the "package" checksum
    // of .cargo-checksum.json, as for a download. https://doc.rust-lang.org/cargo/reference/source-replacement.html
    const vendored = (name: string, version: string, checksum: string) => {
      file(
        `vendor/${name}/Cargo.toml`,
        `[package]\nname = "${name}"\nversion = "${version}"\nlicense = "MIT/Apache-2.0"\n`,
      );
      file(`vendor/${name}/src/lib.rs`, 'pub fn f() {}\n');
      file(`vendor/${name}/.cargo-checksum.json`, JSON.stringify({ files: {}, package: checksum }));
    };
    vendored('leftpad', '1.2.3', 'a1'.repeat(32));
    vendored('devonly', '0.1.0', 'b2'.repeat(32));
    vendored('winonly', '0.1.0', 'c3'.repeat(32));
    file(
      'cargo-home/config.toml',
      `[source.crates-io]\nreplace-with = "vendored"\n[source.vendored]\ndirectory = "${join(ws, 'vendor')}"\n`,
    );
    file(
      'app/Cargo.toml',
      '[package]\nname = "app"\nversion = "0.1.0"\nedition = "2021"\nlicense = "Apache-2.0"\n\n' +
        '[dependencies]\nutil = { path = "../util" }\nleftpad = "1.2"\n\n[dev-dependencies]\ndevonly = "0.1"\n\n' +
        '[target.\'cfg(windows)\'.dependencies]\nwinonly = "0.1"\n',
    );
    file('app/src/main.rs', 'fn main() {}\n');
    file(
      'util/Cargo.toml',
      '[package]\nname = "util"\nversion = "0.2.0"\nedition = "2021"\n\n[dependencies]\nleftpad = "1"\n',
    );
    file('util/src/lib.rs', '');
    // RUSTC: Debian's rustc, which knows wasm32-wasi (the rustup rustc on PATH may be one that no longer does).
    const env = { CARGO_HOME: join(ws, 'cargo-home'), RUSTC: '/usr/bin/rustc' };
    const manifest = join(ws, 'app', 'Cargo.toml');
    const gen = await exec.run({
      command: CARGO,
      args: ['generate-lockfile', '--offline', '--manifest-path', manifest],
      env,
    });
    expect(gen.exitCode, gen.stderr).toBe(0);
    const lock = readFileSync(join(ws, 'app', 'Cargo.lock'), 'utf8');
    expect(lock).toContain(`checksum = "${'a1'.repeat(32)}"`);

    // Without a platform filter cargo resolves for every target: the Windows-only dependency is in the graph.
    const all = sbomFromCargoMetadata(await cargoMetadata(CARGO, manifest, env, { offline: true }), lock, {
      subjectDigest: IMAGE_DIGEST,
      created: EPOCH,
      rootName: 'app',
    });
    expect(JSON.parse(text(all)).components.map((c: { name: string }) => c.name)).toEqual([
      'leftpad',
      'util',
      'winonly',
    ]);
    const metadata = await cargoMetadata(CARGO, manifest, env, { offline: true, filterPlatform: 'wasm32-wasi' });
    const bytes = sbomFromCargoMetadata(metadata, lock, {
      subjectDigest: IMAGE_DIGEST,
      created: EPOCH,
      rootName: 'app',
    });
    const bom = JSON.parse(text(bytes));
    expect(cycloneDxProblems(bom)).toEqual([]);
    expect(bom.components).toEqual([
      {
        type: 'library',
        'bom-ref': 'pkg:cargo/leftpad@1.2.3',
        name: 'leftpad',
        version: '1.2.3',
        purl: 'pkg:cargo/leftpad@1.2.3',
        licenses: [{ expression: 'MIT OR Apache-2.0' }],
        hashes: [{ alg: 'SHA-256', content: 'a1'.repeat(32) }],
        externalReferences: [{ type: 'distribution', url: 'https://crates.io/api/v1/crates/leftpad/1.2.3/download' }],
      },
      {
        type: 'library',
        'bom-ref': 'pkg:cargo/util@0.2.0',
        name: 'util',
        version: '0.2.0',
        purl: 'pkg:cargo/util@0.2.0',
      },
    ]);
    expect(bom.dependencies).toEqual([
      { ref: 'pkg:cargo/app@0.1.0', dependsOn: ['pkg:cargo/leftpad@1.2.3', 'pkg:cargo/util@0.2.0'] },
      { ref: 'pkg:cargo/leftpad@1.2.3', dependsOn: [] },
      { ref: 'pkg:cargo/util@0.2.0', dependsOn: ['pkg:cargo/leftpad@1.2.3'] },
    ]);
    expect(text(bytes)).not.toContain(ws);
  });

  it('cargo metadata --locked fails on a stale Cargo.lock, naming the command', async () => {
    const dir = join(tmp, 'stale');
    mkdirSync(join(dir, 'src'), { recursive: true });
    writeFileSync(join(dir, 'Cargo.toml'), '[package]\nname = "stale"\nversion = "0.2.0"\nedition = "2021"\n');
    writeFileSync(join(dir, 'src', 'main.rs'), 'fn main() {}\n');
    writeFileSync(join(dir, 'Cargo.lock'), 'version = 3\n\n[[package]]\nname = "stale"\nversion = "0.1.0"\n');
    await expect(cargoMetadata(CARGO, join(dir, 'Cargo.toml'), {}, { offline: true })).rejects.toThrow(
      /cargo metadata failed \(exit code \d+\): \/usr\/bin\/cargo metadata --format-version 1 --locked/,
    );
  });
});

describe.runIf(debianBuild)('provenance of examples/hello built twice', () => {
  async function buildOnce(n: number): Promise<Uint8Array> {
    const tc = await findToolchain('/usr');
    const targetDir = join(tmp, `target-${n}`);
    const log = memoryLog();
    const built = await cargoBuild(
      { ...tc, env: { ...tc.env, CARGO_TARGET_DIR: targetDir } },
      { manifestPath: HELLO, target: 'wasm32-wasi', profile: 'release' },
      log,
    );
    const out = join(tmp, `out-${n}`, 'hello.wasm');
    const opt = await optimizeStep(built.wasmPath, out, { path: '/usr/bin/wasm-opt', level: 'z' }, log);
    const wasm = readFileSync(out);
    const report = await verifyBinary(wasm, {}, out);
    const image = await buildImage({ wasm, name: built.name, created: EPOCH });
    const source = await sourceAnnotations(HELLO, {});
    return provenanceStatement({
      image: { name: '127.0.0.1:5000/hello', digest: image.manifest.digest },
      module: { name: built.name, sha256: sha256(wasm) },
      build: { manifestPath: 'examples/hello', target: 'wasm32-wasi', profile: 'release', features: [] },
      optimize: { level: 'z', args: [] },
      tools: {
        toolchain: '/usr',
        rustc: `${tc.version.major}.${tc.version.minor}.${tc.version.patch}`,
        host: tc.host,
        wasmOpt: opt.value.version,
      },
      cargoLockSha256: sha256(readFileSync(join(ROOT, 'examples', 'hello', 'Cargo.lock'))),
      source: {
        repository: source['org.opencontainers.image.source'],
        commit: source['org.opencontainers.image.revision'],
      },
      verifyReport: report,
      sourceDateEpoch: EPOCH,
      builderVersion: '0.1.0',
      env: {},
    });
  }

  it('is valid SLSA v1 and byte-identical, with subjects equal to the real image and module digests', async () => {
    const a = await buildOnce(1);
    const b = await buildOnce(2);
    expect(text(a)).toBe(text(b));
    const doc = JSON.parse(text(a));
    expect(provenanceProblems(doc)).toEqual([]);
    const wasm = readFileSync(join(tmp, 'out-1', 'hello.wasm'));
    const image = await buildImage({ wasm, name: 'hello', created: EPOCH });
    expect(doc.subject).toEqual([
      { name: '127.0.0.1:5000/hello', digest: { sha256: image.manifest.digest.slice(7) } },
      { name: '/hello.wasm', digest: { sha256: sha256(wasm).slice(7) } },
    ]);
    expect(doc.predicate.buildDefinition.internalParameters).toMatchObject({
      rustc: '1.63.0',
      wasmOptVersion: expect.stringMatching(/^wasm-opt version \d+/),
    });
    // The source: this checkout's commit (a git checkout here; CI's too).
    const git = await exec.run({ command: 'git', args: ['rev-parse', 'HEAD'], cwd: ROOT });
    if (git.exitCode === 0) {
      expect(doc.predicate.buildDefinition.resolvedDependencies).toContainEqual(
        expect.objectContaining({ digest: { gitCommit: git.stdout.trim() } }),
      );
    }
    // Two target directories, one statement: no path of the build machine is in it.
    expect(text(a)).not.toMatch(/target-1|target-2|out-1|wasm-build-statements-/);
  });
});
