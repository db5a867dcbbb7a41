import { describe, expect, it } from 'vitest';
import { resolveTarget } from '../src/targets.ts';

const v = (minor: number) => ({ major: 1, minor, patch: 0 });

describe('resolveTarget', () => {
  it.each([
    [63, false, 'wasm32-wasi'],
    [77, false, 'wasm32-wasi'],
    [78, false, 'wasm32-wasip1'],
    [95, false, 'wasm32-wasip1'],
    [71, true, 'wasm32-wasi-preview1-threads'],
    [78, true, 'wasm32-wasip1-threads'],
  ])('rustc 1.%d threads=%s → %s', (minor, threads, target) => {
    expect(resolveTarget(v(minor), { threads })).toBe(target);
  });

  it.each([
    [63, { threads: true }, /Rust 1.63.0 has no WASI threads target/],
    [84, { target: 'wasm32-wasi' }, /removed in Rust 1.84/],
    [70, { target: 'wasm32-wasip1' }, /Target "wasm32-wasip1" needs Rust 1.78 or later \(rustc 1.70.0\)/],
    [90, { target: 'wasm32-wasip1', threads: true }, /threads is set but target "wasm32-wasip1" has no threads/],
    [90, { target: 'wasm64-foo' }, /Unknown target "wasm64-foo"/],
  ])('rustc 1.%d %j fails', (minor, o, message) => {
    expect(() => resolveTarget(v(minor), o)).toThrow(message);
  });
});
