import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { findToolchainFile, rustupToolchainInstallCommand, toolchainListed } from '../src/index.ts';

function tree(files: Record<string, string>): string {
  const root = mkdtempSync(join(tmpdir(), 'tcfile-'));
  for (const [p, text] of Object.entries(files)) {
    mkdirSync(join(root, p, '..'), { recursive: true });
    writeFileSync(join(root, p), text);
  }
  return root;
}

describe('findToolchainFile', () => {
  it('reads channel and targets from the nearest rust-toolchain.toml above the crate', () => {
    const root = tree({
      'rust-toolchain.toml': '[toolchain]\nchannel = "1.83"\ntargets = ["wasm32-wasip1"]\nprofile = "minimal"\n',
      'crates/app/Cargo.toml': '',
    });
    expect(findToolchainFile(join(root, 'crates/app'))).toEqual({
      path: join(root, 'rust-toolchain.toml'),
      channel: '1.83',
      targets: ['wasm32-wasip1'],
    });
  });

  it('reads a legacy rust-toolchain file holding only the channel, and prefers the .toml beside it', () => {
    expect(findToolchainFile(tree({ 'rust-toolchain': 'nightly-2025-01-01\n' }))?.channel).toBe('nightly-2025-01-01');
    const both = tree({ 'rust-toolchain': 'stable\n', 'rust-toolchain.toml': '[toolchain]\nchannel = "beta"\n' });
    expect(findToolchainFile(both)?.channel).toBe('beta');
  });

  it('returns undefined when there is none, and names the file when it cannot be read', () => {
    expect(findToolchainFile(tree({ 'Cargo.toml': '' }))).toBeUndefined();
    const bad = tree({ 'rust-toolchain.toml': '[toolchain]\npath = "/opt/rust"\n' });
    expect(() => findToolchainFile(bad)).toThrow(
      /^Cannot read the toolchain file .*rust-toolchain.toml: no \[toolchain\] channel$/,
    );
    const broken = tree({ 'rust-toolchain.toml': '[toolchain\n' });
    expect(() => findToolchainFile(broken)).toThrow(/^Cannot read the toolchain file .*rust-toolchain.toml: /);
  });
});

describe('rustup toolchains', () => {
  const list =
    'stable-x86_64-unknown-linux-gnu (active, default)\nnightly-2025-01-01-x86_64-unknown-linux-gnu\ndebian\n';
  it.each([
    ['stable', true],
    ['debian', true],
    ['nightly-2025-01-01', true],
    ['nightly', false],
    ['1.83', false],
    ['deb', false],
  ])('%s listed: %s', (name, listed) => {
    expect(toolchainListed(list, name)).toBe(listed);
  });

  it('installs with the minimal profile and no self-update', () => {
    expect(rustupToolchainInstallCommand('1.83')).toEqual({
      command: 'rustup',
      args: ['toolchain', 'install', '1.83', '--profile', 'minimal', '--no-self-update'],
    });
  });
});
