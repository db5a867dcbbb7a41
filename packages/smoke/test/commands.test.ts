import { describe, expect, it } from 'vitest';
import { bundleConfig, crunCommand, crunRunCommands, hasHybridCgroups } from '../src/crun.ts';
import { wasmedgeCommand, wasmtimeCommand } from '../src/wasm-cli.ts';

const run = { module: '/r/rootfs/app.wasm', args: ['a b', '--x'], env: ['K=v', 'E=1=2'], flags: [] as string[] };

describe('wasmedgeCommand', () => {
  it.each([
    [
      run,
      undefined,
      { command: '/opt/we/bin/wasmedge', args: ['--env', 'K=v', '--env', 'E=1=2', '/r/rootfs/app.wasm', 'a b', '--x'] },
    ],
    [
      { ...run, flags: ['--enable-threads'], preopen: { host: '/h/data', guest: '/data' } },
      '/opt/we/lib64',
      {
        command: '/opt/we/bin/wasmedge',
        args: [
          '--enable-threads',
          '--env',
          'K=v',
          '--env',
          'E=1=2',
          '--dir',
          '/data:/h/data',
          '/r/rootfs/app.wasm',
          'a b',
          '--x',
        ],
        env: { LD_LIBRARY_PATH: '/opt/we/lib64' },
      },
    ],
  ])('%#', (r, lib, want) => {
    expect(wasmedgeCommand('/opt/we/bin/wasmedge', r, lib)).toEqual(want);
  });
});

describe('wasmtimeCommand', () => {
  it.each([
    [run, ['run', '--env', 'K=v', '--env', 'E=1=2', '/r/rootfs/app.wasm', 'a b', '--x']],
    [
      {
        ...run,
        env: [],
        args: [],
        flags: ['-W', 'threads=y', '-S', 'threads=y'],
        preopen: { host: '/h', guest: '/g' },
      },
      ['run', '-W', 'threads=y', '-S', 'threads=y', '--dir', '/h::/g', '/r/rootfs/app.wasm'],
    ],
  ])('%#', (r, args) => {
    expect(wasmtimeCommand('wasmtime', r)).toEqual({ command: 'wasmtime', args });
  });
});

describe('crun', () => {
  const wrapper = 'umount /sys/fs/cgroup/unified && exec "$0" "$@"';
  it.each([
    [
      { crun: 'crun', sudo: false, hybridCgroups: false },
      { command: 'crun', args: ['run', '--bundle', '/b', 'id1'] },
    ],
    [
      { crun: '/c/bin/crun', sudo: false, hybridCgroups: true },
      { command: 'unshare', args: ['-m', 'sh', '-c', wrapper, '/c/bin/crun', 'run', '--bundle', '/b', 'id1'] },
    ],
    [
      { crun: 'crun', sudo: true, hybridCgroups: true },
      { command: 'sudo', args: ['-E', 'unshare', '-m', 'sh', '-c', wrapper, 'crun', 'run', '--bundle', '/b', 'id1'] },
    ],
    [
      { crun: 'crun', sudo: true, hybridCgroups: false },
      { command: 'sudo', args: ['-E', 'crun', 'run', '--bundle', '/b', 'id1'] },
    ],
  ])('run %#', (host, want) => {
    expect(crunRunCommands(host, '/b', 'id1').run).toEqual(want);
  });

  it('always deletes with --force, through the same wrapper', () => {
    expect(crunCommand({ crun: 'crun', sudo: true, hybridCgroups: false }, ['delete', '--force', 'id1'])).toEqual({
      command: 'sudo',
      args: ['-E', 'crun', 'delete', '--force', 'id1'],
    });
  });

  it('writes a config: args, env, read-only root, no network namespace, the annotation, a preopen bind mount', () => {
    const c = bundleConfig({
      args: ['/app.wasm', 'x'],
      env: ['A=1'],
      annotations: { 'module.wasm.image/variant': 'compat-smart' },
      preopen: { host: '/h', guest: '/data' },
    }) as {
      process: { args: string[]; env: string[]; cwd: string; noNewPrivileges: boolean };
      root: unknown;
      annotations: unknown;
      linux: { namespaces: { type: string }[] };
      mounts: { destination: string; type: string; source: string; options?: string[] }[];
    };
    expect(c.process).toMatchObject({ args: ['/app.wasm', 'x'], env: ['A=1'], cwd: '/', noNewPrivileges: true });
    expect(c.root).toEqual({ path: 'rootfs', readonly: true });
    expect(c.annotations).toEqual({ 'module.wasm.image/variant': 'compat-smart' });
    expect(c.linux.namespaces.map((n) => n.type)).toEqual(['pid', 'ipc', 'uts', 'mount']);
    expect(c.mounts.at(-1)).toEqual({ destination: '/data', type: 'bind', source: '/h', options: ['rbind', 'rw'] });
  });

  it.each([
    ['cgroup2 only', '30 1 0:26 / /sys/fs/cgroup rw - cgroup2 cgroup2 rw', false],
    ['v1 only', '31 1 0:27 / /sys/fs/cgroup/cpu rw - cgroup cgroup rw,cpu', false],
    [
      'hybrid',
      '31 1 0:27 / /sys/fs/cgroup/cpu rw - cgroup cgroup rw,cpu\n40 1 0:30 / /sys/fs/cgroup/unified rw - cgroup2 cgroup2 rw',
      true,
    ],
  ])('hasHybridCgroups: %s', (_what, mountinfo, want) => {
    expect(hasHybridCgroups(mountinfo)).toBe(want);
  });
});
