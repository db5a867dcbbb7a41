import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { hasTargetStd, parseRustcVerbose, rustupTargetAddCommand, toolchainCommands } from '../src/rust.ts';

describe('toolchain commands', () => {
  it.each([
    [undefined, { command: 'cargo', args: [] }, { command: 'rustc', args: [] }, {}],
    ['debian', { command: 'cargo', args: ['+debian'] }, { command: 'rustc', args: ['+debian'] }, {}],
    [
      '/usr',
      { command: '/usr/bin/cargo', args: [] },
      { command: '/usr/bin/rustc', args: [] },
      { RUSTC: '/usr/bin/rustc' },
    ],
  ])('%s', (spec, cargo, rustc, env) => {
    expect(toolchainCommands(spec)).toEqual({ cargo, rustc, env });
  });

  it('rustup target add', () => {
    expect(rustupTargetAddCommand('wasm32-wasip1', 'stable')).toEqual({
      command: 'rustup',
      args: ['target', 'add', 'wasm32-wasip1', '--toolchain', 'stable'],
    });
  });
});

describe('parseRustcVerbose', () => {
  it('reads release and host', () => {
    const text =
      'rustc 1.63.0\nbinary: rustc\ncommit-hash: unknown\nhost: x86_64-unknown-linux-gnu\nrelease: 1.63.0\nLLVM version: 14.0.6\n';
    expect(parseRustcVerbose(text)).toEqual({
      version: { major: 1, minor: 63, patch: 0 },
      host: 'x86_64-unknown-linux-gnu',
    });
  });
  it('returns undefined for other text', () => {
    expect(parseRustcVerbose('error: toolchain not installed')).toBeUndefined();
  });
});

describe('hasTargetStd', () => {
  it('looks for an rlib under lib/rustlib/<target>/lib', () => {
    const sysroot = mkdtempSync(join(tmpdir(), 'sysroot-'));
    expect(hasTargetStd(sysroot, 'wasm32-wasi')).toBe(false);
    const lib = join(sysroot, 'lib', 'rustlib', 'wasm32-wasi', 'lib');
    mkdirSync(lib, { recursive: true });
    expect(hasTargetStd(sysroot, 'wasm32-wasi')).toBe(false);
    writeFileSync(join(lib, 'libstd-abc.rlib'), '');
    expect(hasTargetStd(sysroot, 'wasm32-wasi')).toBe(true);
  });
});
