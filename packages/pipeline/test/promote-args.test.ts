// `wasm-build promote` and `--no-tag` (issue 14, item 7): what the release's promote job passes, checked before any
// request.
import { describe, expect, it } from 'vitest';
import { parseCli } from '../src/cli-args.ts';

const DIGEST = `sha256:${'a'.repeat(64)}`;
const WASM = 'b'.repeat(64);
const ok = ['promote', '--image', `ghcr.io/o/app@${DIGEST}`, '--module-sha256', WASM, '--entrypoint', '/app.wasm'];

describe('wasm-build promote', () => {
  it('parses the digest, the read-back expectations and the tags (comma or repeated, each once)', () => {
    const cmd = parseCli([...ok, '--tag', 'v1,1.2.3', '--tag', 'v1', '--username', 'u']);
    expect(cmd.kind).toBe('promote');
    expect(cmd.promote).toMatchObject({
      ref: { registry: 'ghcr.io', repository: 'o/app', digest: DIGEST },
      digest: DIGEST,
      wasmSha256: `sha256:${WASM}`,
      entrypoint: '/app.wasm',
      tags: ['v1', '1.2.3'],
      username: 'u',
    });
    // Unset, not false: a loopback registry is then spoken to over plain HTTP, as the push does.
    expect(cmd.promote?.insecure).toBeUndefined();
  });

  it.each([
    [['promote', '--module-sha256', WASM, '--entrypoint', '/app.wasm', '--tag', 'v1'], 'needs --image'],
    [
      ['promote', '--image', 'ghcr.io/o/app:v1', '--module-sha256', WASM, '--entrypoint', '/a.wasm', '--tag', 'v1'],
      'Invalid --image "ghcr.io/o/app:v1": promote takes a reference pinned by digest',
    ],
    [
      [...ok.slice(0, 3), '--module-sha256', 'abc', '--entrypoint', '/a.wasm', '--tag', 'v1'],
      'Invalid --module-sha256 "abc"',
    ],
    [[...ok.slice(0, 5), '--entrypoint', 'app', '--tag', 'v1'], 'Invalid --entrypoint "app"'],
    [ok, 'needs at least one --tag'],
  ])('refuses %j', (argv, message) => {
    expect(() => parseCli(argv)).toThrow(message);
  });
});

describe('--no-tag', () => {
  it('is off by default and on when given', () => {
    expect(parseCli(['examples/hello']).noTag).toBe(false);
    expect(parseCli(['examples/hello', '--no-tag']).noTag).toBe(true);
  });
});
