import { describe, expect, it } from 'vitest';
import { parseCli } from '../src/cli-args.ts';

describe('parseCli', () => {
  it('parses a full pipeline command into typed options with defaults', () => {
    const cmd = parseCli([
      'examples/hello',
      '--toolchain',
      'debian',
      '--require',
      'threads,simd',
      '--max-size',
      '1000',
      '--arg',
      'a',
      '--env',
      'K=v',
      '--annotation',
      'x=y',
    ]);
    expect(cmd.kind).toBe('pipeline');
    expect(cmd.options).toMatchObject({
      manifestPath: 'examples/hello',
      toolchain: 'debian',
      require: ['threads', 'simd'],
      maxSize: 1000,
      smokeArgs: ['a'],
      smokeEnv: ['K=v'],
      annotations: ['x=y'],
      optLevel: 'z',
      profile: 'release',
      optimize: true,
      smoke: true,
      timeoutMs: 30000,
    });
  });

  it('builds the crate in the current directory when none is given (manifest-path defaults to .)', () => {
    expect(parseCli([], {}).options?.manifestPath).toBe('.');
  });

  it('defaults the image to wasm-build/<crate> with --local-registry', () => {
    expect(parseCli(['examples/hello', '--local-registry']).options?.image).toBe('wasm-build/hello:latest');
  });

  it.each([
    [['x', '--target', 'wasm32-foo'], /^Invalid --target "wasm32-foo"/],
    [['x', '--require', 'thread'], /^Invalid --require "thread"/],
    [['x', '--max-size=-5'], /^Invalid --max-size -5: Too small/],
    [['x', '--timeout', 'soon'], /^Invalid --timeout "soon": expected a whole number/],
    [['x', '--opt-level', '9'], /^Invalid --opt-level "9"/],
    [
      ['x', '--image', 'ghcr.io/Org/a..pp'],
      /^Invalid --image "ghcr.io\/Org\/a..pp": "a..pp" is not a valid repository path component/,
    ],
    [['x', '--env', 'novalue'], /^Invalid --env "novalue": expected KEY=value/],
    [['x', '--bogus'], /Unknown option '--bogus'/],
    [['a', 'b'], /Expected one crate, got 2: a b/],
    [['verify'], /wasm-build verify takes one module path/],
    [['verify', 'm.wasm', '--entrypoint', 'app.wasm'], /^Invalid --entrypoint "app.wasm": expected an absolute path/],
    [['verify', 'm.wasm', '--target', 'wasm64'], /^Invalid --target "wasm64"/],
  ])('%j fails before any work', (argv, message) => {
    expect(() => parseCli(argv)).toThrow(message);
  });

  it('parses verify', () => {
    expect(
      parseCli([
        'verify',
        'm.wasm',
        '--require',
        'threads',
        '--json',
        '--entrypoint',
        '/m.wasm',
        '--target',
        'wasm32-wasip1-threads',
      ]),
    ).toEqual({
      kind: 'verify',
      file: 'm.wasm',
      json: true,
      verbose: false,
      verify: { require: ['threads'], forbid: [], entrypoint: '/m.wasm', target: 'wasm32-wasip1-threads' },
    });
  });
});
