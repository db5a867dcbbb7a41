import type { SmokeResult } from '@wasm-build/smoke';
import { describe, expect, it } from 'vitest';
import { parsePreopen, smokeFailure } from '../src/steps/smoke.ts';

const r = (runtime: string, status: SmokeResult['status'], reason?: string): SmokeResult => ({
  runtime,
  status,
  stdout: '',
  stderr: '',
  durationMs: 1,
  reason,
});

describe('smokeFailure', () => {
  it('passes when every runtime passed or was skipped', () => {
    expect(smokeFailure([r('node v20.20.2', 'pass'), r('wasmedge', 'skipped', 'no wasmedge')])).toBeUndefined();
  });
  it('fails on an incompatible runtime with the reason and the allow-incompatible fix', () => {
    const e = smokeFailure([r('node v20.20.2', 'pass'), r('crun-wasmedge', 'incompatible', 'shared memory')]);
    expect(e?.message).toBe('crun-wasmedge: incompatible: shared memory');
    expect(e?.fix).toContain('add crun-wasmedge to allow-incompatible');
  });
  it('lets allow-incompatible through, but never a fail', () => {
    const results = [r('crun-wasmedge', 'incompatible', 'x'), r('node v20.20.2', 'incompatible', 'y')];
    expect(smokeFailure(results, ['crun-wasmedge', 'node'])).toBeUndefined();
    expect(
      smokeFailure([...results, r('wasmedge', 'fail', 'exit code 1, expected 0')], ['crun-wasmedge', 'node'])?.message,
    ).toBe('wasmedge: fail: exit code 1, expected 0');
  });
});

describe('parsePreopen', () => {
  it.each([
    [undefined, undefined],
    ['/srv/in', { host: '/srv/in', guest: '/data' }],
    ['./in:/input', { host: './in', guest: '/input' }],
  ])('%s', (spec, want) => {
    expect(parsePreopen(spec)).toEqual(want);
  });
});
