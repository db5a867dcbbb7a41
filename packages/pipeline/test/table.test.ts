import { describe, expect, it } from 'vitest';
import { renderStageTable } from '../src/table.ts';

describe('renderStageTable', () => {
  it('shows stage, result, time, bytes and detail per row', () => {
    const out = renderStageTable([
      { stage: 'build', status: 'ok', durationMs: 1200, bytes: 67539, detail: 'hello.wasm' },
      { stage: 'push', status: 'skipped', durationMs: 0, detail: 'no image reference given' },
      { stage: 'verify', status: 'failed', durationMs: 3, detail: 'not shared' },
    ]);
    expect(out).toMatch(/│ build\s+│ ok\s+│\s+1200 ms │\s+67539 │ hello.wasm/);
    expect(out).toMatch(/│ push\s+│ skipped\s+│\s+│\s+│ no image reference given/);
    expect(out).toMatch(/│ verify\s+│ FAILED/);
  });
});
