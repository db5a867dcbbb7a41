import { describe, expect, it } from 'vitest';
import { CRUN_BUILD_PACKAGES, crunBuildCommands, crunHasWasmEdge } from '../src/runtimes.ts';

describe('crunBuildCommands', () => {
  const o = {
    version: '1.27.1',
    tarball: '/t/crun.tgz',
    workDir: '/w',
    prefix: '/w/prefix',
    wasmedge: { includeDir: '/we/include', libDir: '/we/lib' },
  };
  const env = { CFLAGS: '-I/we/include', LDFLAGS: '-L/we/lib -Wl,-rpath,/we/lib' };
  it.each([
    [false, { command: 'apt-get', args: ['install', '-y', '--no-install-recommends', ...CRUN_BUILD_PACKAGES] }],
    [true, { command: 'sudo', args: ['apt-get', 'install', '-y', '--no-install-recommends', ...CRUN_BUILD_PACKAGES] }],
  ])('sudo %s', (sudo, apt) => {
    expect(crunBuildCommands({ ...o, sudo })).toEqual([
      apt,
      { command: 'tar', args: ['-xzf', '/t/crun.tgz', '-C', '/w'] },
      { command: './configure', args: ['--with-wasmedge', '--prefix=/w/prefix'], cwd: '/w/crun-1.27.1', env },
      { command: 'make', args: ['-j4'], cwd: '/w/crun-1.27.1', env },
      { command: 'make', args: ['install'], cwd: '/w/crun-1.27.1', env },
    ]);
  });
});

describe('crunHasWasmEdge', () => {
  it.each([
    ['crun version 1.27.1\ncommit: x\nspec: 1.0.0\n+SYSTEMD +SELINUX +CAP +SECCOMP +EBPF +WASM:wasmedge +YAJL', true],
    ['crun version 1.8.1\ncommit: f8a0\nspec: 1.0.0\n+SYSTEMD +SELINUX +APPARMOR +CAP +SECCOMP +EBPF +YAJL', false],
    ['crun version 1.20\n+WASM:wasmtime +YAJL', false],
  ])('%#', (out, want) => {
    expect(crunHasWasmEdge(out)).toBe(want);
  });
});
