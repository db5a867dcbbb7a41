import { describe, expect, it } from 'vitest';
import { cargoBuildCommand, parseCargoMessages, pickArtifact } from '../src/cargo.ts';

const tc = { cargo: { command: 'cargo', args: ['+debian'] }, env: {} };
const base = { manifestPath: '/c/Cargo.toml', target: 'wasm32-wasi' };
const FMT = '--message-format=json';

describe('cargoBuildCommand', () => {
  it.each([
    [{}, ['+debian', 'build', '--release', '--target', 'wasm32-wasi', FMT, '--manifest-path', '/c/Cargo.toml']],
    [{ profile: 'dev' }, ['+debian', 'build', '--target', 'wasm32-wasi', FMT, '--manifest-path', '/c/Cargo.toml']],
    [
      { profile: 'small', package: 'app', bin: 'server', features: ['a', 'b'], noDefaultFeatures: true },
      [
        '+debian',
        'build',
        '--profile',
        'small',
        '--target',
        'wasm32-wasi',
        FMT,
        '--manifest-path',
        '/c/Cargo.toml',
        '--package',
        'app',
        '--bin',
        'server',
        '--features',
        'a,b',
        '--no-default-features',
      ],
    ],
  ])('%j', (o, args) => {
    expect(cargoBuildCommand(tc, { ...base, ...o })).toEqual({ command: 'cargo', args, env: {} });
  });

  it('with colour: ANSI-rendered diagnostics and CARGO_TERM_COLOR=always', () => {
    expect(cargoBuildCommand(tc, { ...base, color: true })).toEqual({
      command: 'cargo',
      args: [
        '+debian',
        'build',
        '--release',
        '--target',
        'wasm32-wasi',
        '--message-format=json-diagnostic-rendered-ansi',
        '--manifest-path',
        '/c/Cargo.toml',
      ],
      env: { CARGO_TERM_COLOR: 'always' },
    });
  });
});

const artifact = (name: string, kind: string[], file: string, manifest = '/c/Cargo.toml') =>
  JSON.stringify({
    reason: 'compiler-artifact',
    package_id: `${name} 0.1.0`,
    manifest_path: manifest,
    target: { name, kind },
    filenames: [file],
    executable: kind.includes('bin') ? file : null,
  });

describe('parseCargoMessages', () => {
  it('keeps bin and cdylib .wasm artifacts, skips rlibs and text lines', () => {
    const out = [
      artifact('dep', ['lib'], '/t/libdep.rlib', '/dep/Cargo.toml'),
      'not json',
      artifact('hello', ['bin'], '/t/hello.wasm'),
      artifact('plugin', ['cdylib'], '/t/plugin.wasm'),
      JSON.stringify({ reason: 'build-finished', success: true }),
    ].join('\n');
    const { artifacts, success } = parseCargoMessages(out);
    expect(success).toBe(true);
    expect(artifacts.map((a) => [a.name, a.path])).toEqual([
      ['hello', '/t/hello.wasm'],
      ['plugin', '/t/plugin.wasm'],
    ]);
  });
});

describe('pickArtifact', () => {
  const a = parseCargoMessages(
    [artifact('one', ['bin'], '/t/one.wasm'), artifact('two', ['bin'], '/t/two.wasm')].join('\n'),
  ).artifacts;
  it('lists the bins when several are built and none is chosen', () => {
    expect(() => pickArtifact(a, base)).toThrow('The crate builds several .wasm binaries: one, two');
  });
  it('takes the chosen bin', () => {
    expect(pickArtifact(a, { ...base, bin: 'two' }).path).toBe('/t/two.wasm');
  });
  it('names the choices when the chosen bin is absent', () => {
    expect(() => pickArtifact(a, { ...base, bin: 'three' })).toThrow(/no .wasm binary named "three"/);
  });
});
