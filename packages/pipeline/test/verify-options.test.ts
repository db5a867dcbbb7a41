import { FEATURES } from '@wasm-build/wasm/report';
import { buildSync } from 'esbuild';
import { describe, expect, it } from 'vitest';
import { parseCli } from '../src/cli-args.ts';
import { parseCliLight } from '../src/cli-verify-args.ts';
import { verifySchema } from '../src/options.ts';
import { checkVerifyOptions, MAX_SIZE_LIMIT, type VerifyRaw } from '../src/verify-options.ts';

// Every kind of value the CLI can pass for each option (kit's convertInput: lists of words, whole numbers of at most
// 15 digits, strings as typed), good and bad.
const VALUES: { [K in keyof VerifyRaw]-?: VerifyRaw[K][] } = {
  require: [undefined, [], ['threads'], [...FEATURES], ['thread'], ['simd', 'nope', 'gc', 'x']],
  forbid: [undefined, [], ['memory64'], ['SIMD'], ['']],
  maxSize: [undefined, 1, 1000, MAX_SIZE_LIMIT, MAX_SIZE_LIMIT + 1, 0, -5, 999_999_999_999_999, -999_999_999_999_999],
  target: [undefined, 'wasm32-wasip1', 'wasm32-wasip1-threads', 'wasm32-wasip2', 'wasm64', ''],
  entrypoint: [
    undefined,
    '/app.wasm',
    '/dir/m.wat',
    'app.wasm',
    '',
    '/a b.wasm',
    '/',
    'a\0b',
    `/${'x'.repeat(300)}.wasm`,
    `/d/${'y'.repeat(5000)}`,
  ],
};

/** Every combination of two options' values (the others unset), and each option's values alone. */
function cases(): VerifyRaw[] {
  const keys = Object.keys(VALUES) as (keyof VerifyRaw)[];
  const out: VerifyRaw[] = [];
  for (const a of keys)
    for (const b of keys)
      for (const va of VALUES[a]) for (const vb of VALUES[b]) out.push({ [a]: va, [b]: vb } as VerifyRaw);
  return out;
}

describe('checkVerifyOptions', () => {
  it("accepts and refuses what options.ts's verifySchema does, with zod's messages in zod's order", () => {
    for (const raw of cases()) {
      const ours = checkVerifyOptions(raw);
      const zod = verifySchema.safeParse(raw);
      if (zod.success) expect(ours, JSON.stringify(raw)).toEqual({ success: true, data: zod.data });
      else
        expect(ours, JSON.stringify(raw)).toEqual({
          success: false,
          issues: zod.error.issues.map((i) => ({ path: i.path, message: i.message })),
        });
    }
  });
});

describe('parseCliLight', () => {
  it('answers help, version and verify as parseCli does, and leaves the pipeline and promote to it', () => {
    const env = { WASM_BUILD_MAX_SIZE: '5000' };
    for (const argv of [
      ['--help'],
      ['-V'],
      ['verify', 'm.wasm'],
      ['verify', 'm.wasm', '--require', 'threads,simd', '--forbid', 'gc', '--json', '--verbose'],
      ['--target', 'wasm32-wasip2', 'verify', 'm.wasm', '--entrypoint', '/m.wasm'],
    ]) {
      expect(parseCliLight(argv, env), argv.join(' ')).toEqual(parseCli(argv, env));
    }
    expect(parseCliLight(['verify', 'm.wasm'], env)?.verify?.maxSize).toBe(5000);
    expect(parseCliLight(['examples/hello'], {})).toBeUndefined();
    expect(parseCliLight([], {})).toBeUndefined();
    expect(parseCliLight(['promote', '--image', 'r/x@sha256:00'], {})).toBeUndefined();
  });

  it.each([
    [['verify', 'm.wasm', '--bogus'], {}, "Unknown option '--bogus'"],
    [['verify'], {}, 'wasm-build verify takes one module path'],
    [['verify', 'a.wasm', 'b.wasm'], {}, 'wasm-build verify takes one module path'],
    [['verify', 'm.wasm', '--max-size', 'big'], {}, 'Invalid --max-size "big": expected a whole number'],
    [['verify', 'm.wasm', '--max-size=0'], {}, 'Invalid --max-size 0: Too small: expected number to be >0'],
    [['verify', 'm.wasm', '--require', 'threads,thread'], {}, 'Invalid --require "thread": Invalid option'],
    [
      ['verify', 'm.wasm', '--entrypoint', 'app.wasm'],
      {},
      'Invalid --entrypoint "app.wasm": expected an absolute path',
    ],
    [['verify', 'm.wasm'], { WASM_BUILD_TARGET: 'wasm64' }, 'Invalid WASM_BUILD_TARGET "wasm64": Invalid option'],
    // Every root input is read, as parseCli reads them: a bad variable fails verify too.
    [['verify', 'm.wasm'], { WASM_BUILD_OPTIMIZE: 'perhaps' }, 'Invalid WASM_BUILD_OPTIMIZE "perhaps"'],
  ])('%j (env %j) fails as parseCli does: %s', (argv, env, message) => {
    const err = (f: () => unknown) => {
      try {
        f();
      } catch (e) {
        return { message: (e as Error).message, fix: (e as { fix?: string }).fix };
      }
      throw new Error(`${argv.join(' ')} did not fail`);
    };
    const light = err(() => parseCliLight(argv, env));
    expect(light.message).toContain(message);
    expect(light).toEqual(err(() => parseCli(argv, env)));
  });

  it('loads neither zod, nor RE2, nor the option schemas and the toolchain modules behind them', () => {
    const r = buildSync({
      entryPoints: [new URL('../src/cli-verify-args.ts', import.meta.url).pathname],
      bundle: true,
      platform: 'node',
      format: 'esm',
      write: false,
      metafile: true,
      logLevel: 'silent',
    });
    const inputs = Object.keys(r.metafile.inputs);
    expect(inputs.some((f) => f.endsWith('packages/pipeline/src/cli-verify-args.ts'))).toBe(true);
    expect(
      inputs.filter((f) => /node_modules\/(zod|re2js)\/|src\/(options|cli-args|re2-regexp)\.ts$|wasm-opt\.ts$/.test(f)),
    ).toEqual([]);
  });
});
