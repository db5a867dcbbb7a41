// Tags only what passed (issue 14, item 7), through the real CLI against a real registry on 127.0.0.1: the pipeline
// pushes by digest, smoke-tests, and only then tags; `--no-tag` and `wasm-build promote` split that across jobs as
// release.yml does. Debian Rust, wasm-opt, docker-registry, skopeo, node:wasi.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseImageRef, RegistryClient } from '@wasm-build/oci';
import { describe, expect, it } from 'vitest';
import { useLocalRegistry } from './helpers/registry.ts';
import { runCli } from './helpers/run-action.ts';
import { HAVE, requireTools } from './helpers/tools.ts';

const all = requireTools('tag-after-smoke tests', {
  'cargo +debian': HAVE.debianRust,
  'wasm-opt': HAVE.wasmOpt,
  skopeo: HAVE.skopeo,
  'docker-registry': HAVE.registry,
});

const cli = runCli;

const tagsOf = (image: string) => new RegistryClient(parseImageRef(image)).tags();

describe.skipIf(!all)('tags after the smoke test', () => {
  const registry = useLocalRegistry();
  const hello = (image: string, ...more: string[]) => [
    'examples/hello',
    '--toolchain',
    'debian',
    '--backend',
    'skopeo',
    '--image',
    image,
    '--tag',
    'extra',
    '--runtime',
    'node',
    '--arg',
    'world',
    '--work-dir',
    mkdtempSync(join(tmpdir(), 'wasm-build-promote-')),
    ...more,
  ];

  it('a failing smoke test leaves the digest pushed and no tag; promote proves it, then tags it', async () => {
    const image = `${registry.current.address}/itg/smokefail:v1`;
    const r = cli(hello(image, '--expect-stdout', 'text the module never prints', '--json'));
    expect(r.code, r.all).toBe(1);
    expect(r.stderr).toMatch(/^wasm-build: .*stdout/m);
    const result = JSON.parse(r.stdout);
    expect(result.pushed.ref).toMatch(/@sha256:[0-9a-f]{64}$/);
    expect(result.rows.map((x: { stage: string; status: string }) => `${x.stage}:${x.status}`)).toEqual([
      'setup:ok',
      'build:ok',
      'optimize:ok',
      'verify:ok',
      'image:ok',
      'push:ok',
      'smoke-test:failed',
    ]);
    expect(await tagsOf(image)).toEqual([]);

    // The read-back proof comes first: a module hash that is not the pushed one writes no tag.
    const base = ['promote', '--image', result.pushed.ref, '--entrypoint', result.entrypoint, '--tag', 'v1'];
    const wrong = cli([...base, '--module-sha256', '0'.repeat(64)]);
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toMatch(
      /^wasm-build: Read-back of .*the sha256 of hello\.wasm is sha256:[0-9a-f]{64}, expected/m,
    );
    expect(await tagsOf(image)).toEqual([]);

    const ok = cli([...base, '--tag', '1.0', '--module-sha256', result.wasmSha256, '--json']);
    expect(ok.code, ok.all).toBe(0);
    const promoted = JSON.parse(ok.stdout);
    expect(promoted.digest).toBe(result.pushed.digest);
    expect(promoted.tags).toEqual([
      `${registry.current.address}/itg/smokefail:v1`,
      `${registry.current.address}/itg/smokefail:1.0`,
    ]);
    expect((await tagsOf(image)).sort()).toEqual(['1.0', 'v1']);
    const served = await new RegistryClient(parseImageRef(image)).manifest('v1');
    expect(served.digest).toBe(result.pushed.digest);
  });

  it('a passing smoke test is followed by the tag stage; --no-tag pushes by digest only', async () => {
    const image = `${registry.current.address}/itg/smokepass:v1`;
    const passed = cli(hello(image, '--expect-stdout', 'Hello from wasm-build!', '--json'));
    expect(passed.code, passed.all).toBe(0);
    const rows = JSON.parse(passed.stdout).rows.map((x: { stage: string; status: string }) => `${x.stage}:${x.status}`);
    expect(rows.slice(-4)).toEqual(['push:ok', 'smoke-test:ok', 'attach:ok', 'tag:ok']);
    // Besides the image's tags, the referrers tag that lists its provenance and SBOM (this registry has no API).
    const passedDigest = JSON.parse(passed.stdout).pushed.digest as string;
    expect((await tagsOf(image)).sort()).toEqual(['extra', `sha256-${passedDigest.slice(7)}`, 'v1']);

    const digestOnly = `${registry.current.address}/itg/digest-only:v1`;
    const r = cli(hello(digestOnly, '--no-tag', '--no-smoke', '--json'));
    expect(r.code, r.all).toBe(0);
    const result = JSON.parse(r.stdout);
    expect(result.rows.at(-1)).toMatchObject({ stage: 'tag', status: 'skipped' });
    expect(result.rows.at(-1).detail).toContain(`promote ${result.pushed.ref}`);
    // No tag names the image: the one tag is the referrers tag, an index listing its provenance and SBOM.
    expect(await tagsOf(digestOnly)).toEqual([`sha256-${result.pushed.digest.slice(7)}`]);
    expect(result.entrypoint).toBe('/hello.wasm');
  });
});
