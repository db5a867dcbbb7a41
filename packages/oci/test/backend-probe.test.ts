// The backend probe runs each command at most once per probe, and an explicit backend runs none.
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { exec } from '@wasm-build/kit';
import { afterEach, describe, expect, it, onTestFinished, vi } from 'vitest';
import { buildxPluginMayRun } from '../src/buildx-plugin.ts';
import { chooseBackend, findOnPath, machineProbe } from '../src/push.ts';
import type { Buildx } from '../src/push-buildx.ts';

afterEach(() => {
  vi.restoreAllMocks();
  vi.unstubAllEnvs();
});

/** A buildx that counts how often it is asked. */
function countingBuildx(version: string | undefined) {
  const calls = { isAvailable: 0, version: 0 };
  const buildx = {
    isAvailable: async () => {
      calls.isAvailable++;
      return version !== undefined;
    },
    version: async () => {
      calls.version++;
      return version ?? '';
    },
    versionSatisfies: async () => true,
  } as unknown as Buildx;
  return { buildx, calls };
}

describe('machineProbe', () => {
  it('asks buildx once however often the run asks, and oras on PATH once', async () => {
    // oras as a file on PATH (the probe starts nothing that is not there); exec.run answers for it.
    const bin = mkdtempSync(join(tmpdir(), 'probe-path-'));
    writeFileSync(join(bin, 'oras'), '#!/bin/sh\nexit 0\n');
    chmodSync(join(bin, 'oras'), 0o755);
    vi.stubEnv('PATH', `${bin}:${process.env.PATH}`);
    onTestFinished(() => rmSync(bin, { recursive: true, force: true }));
    const { buildx, calls } = countingBuildx('0.29.1');
    const run = vi.spyOn(exec, 'run').mockResolvedValue({ exitCode: 0, stdout: 'ok', stderr: '' } as never);
    const probe = machineProbe(buildx);
    expect(await Promise.all([probe.buildxVersion(), probe.buildxVersion()])).toEqual(['0.29.1', '0.29.1']);
    expect(await probe.buildxVersion()).toBe('0.29.1');
    expect(calls).toEqual({ isAvailable: 1, version: 1 });
    expect(await probe.onPath('oras')).toBe(true);
    expect(run.mock.calls.map(([c]) => `${c.command} ${c.args?.join(' ')}`)).toEqual(['oras version']);
  });

  it('starts no command for a tool that is not on PATH', async () => {
    const empty = mkdtempSync(join(tmpdir(), 'probe-empty-path-'));
    onTestFinished(() => rmSync(empty, { recursive: true, force: true }));
    vi.stubEnv('PATH', empty);
    const run = vi.spyOn(exec, 'run');
    const probe = machineProbe(countingBuildx(undefined).buildx);
    expect(await probe.onPath('oras')).toBe(false);
    expect(run).not.toHaveBeenCalled();
  });

  it('without a buildx, one probe is shared by the whole process', () => {
    expect(machineProbe()).toBe(machineProbe());
  });
});

describe('an explicit backend runs no probe', () => {
  it.each(['skopeo', 'oras', 'buildx', 'builtin'] as const)('%s', async (backend) => {
    const run = vi.spyOn(exec, 'run');
    const { buildx, calls } = countingBuildx('0.29.1');
    const probe = machineProbe(buildx);
    expect(await chooseBackend(backend, probe)).toEqual({ backend, reason: `backend: ${backend} was asked for` });
    expect(calls).toEqual({ isAvailable: 0, version: 0 });
    expect(run).not.toHaveBeenCalled();
  });
});

describe('findOnPath', () => {
  it('finds an executable by looking at the file system, and nothing that is not there', () => {
    const run = vi.spyOn(exec, 'run');
    expect(findOnPath('sh', '/nonexistent:/bin:/usr/bin')).toMatch(/^\/(usr\/)?bin\/sh$/);
    expect(findOnPath('no-such-tool-wasm-build', '/bin:/usr/bin')).toBeUndefined();
    expect(findOnPath('sh', 'relative/dir:')).toBeUndefined();
    expect(run).not.toHaveBeenCalled();
  });
});

describe('buildxPluginMayRun', () => {
  const dirs = () => {
    const root = mkdtempSync(join(tmpdir(), 'buildx-plugin-'));
    onTestFinished(() => rmSync(root, { recursive: true, force: true }));
    const config = join(root, 'config');
    const system = join(root, 'system');
    mkdirSync(join(config, 'cli-plugins'), { recursive: true });
    mkdirSync(system);
    return { root, config, system, env: { DOCKER_CONFIG: config, HOME: root } };
  };

  it('is false with no docker-buildx in the config dir or the system dirs', () => {
    const d = dirs();
    expect(buildxPluginMayRun(d.env, 'linux', [d.system])).toBe(false);
  });

  it.each([
    ['the config dir', (d: ReturnType<typeof dirs>) => join(d.config, 'cli-plugins', 'docker-buildx')],
    ['a system dir', (d: ReturnType<typeof dirs>) => join(d.system, 'docker-buildx')],
  ])('is true with docker-buildx in %s', (_where, file) => {
    const d = dirs();
    writeFileSync(file(d), '#!/bin/sh\n');
    expect(buildxPluginMayRun(d.env, 'linux', [d.system])).toBe(true);
  });

  it.each([
    ['names extra plugin dirs', JSON.stringify({ cliPluginsExtraDirs: ['/opt/docker/plugins'] })],
    ['cannot be read', '{not json'],
  ])('asks docker itself when the docker config %s', (_what, config) => {
    const d = dirs();
    writeFileSync(join(d.config, 'config.json'), config);
    expect(buildxPluginMayRun(d.env, 'linux', [d.system])).toBe(true);
  });

  it('asks docker itself on Windows', () => {
    const d = dirs();
    expect(buildxPluginMayRun(d.env, 'win32', [d.system])).toBe(true);
  });
});

describe('the shared probe: at most one buildx process, whose output gives the version', () => {
  /** A fresh process-wide probe over a PATH of these scripts, with or without a docker-buildx plugin file. */
  async function fresh(o: { plugin: boolean; tools: Record<string, string> }) {
    const root = mkdtempSync(join(tmpdir(), 'shared-probe-'));
    onTestFinished(() => rmSync(root, { recursive: true, force: true }));
    const bin = join(root, 'bin');
    const config = join(root, 'config');
    mkdirSync(bin);
    mkdirSync(join(config, 'cli-plugins'), { recursive: true });
    for (const [tool, script] of Object.entries(o.tools)) {
      writeFileSync(join(bin, tool), `#!/bin/sh\n${script}\n`);
      chmodSync(join(bin, tool), 0o755);
    }
    if (o.plugin) writeFileSync(join(config, 'cli-plugins', 'docker-buildx'), '#!/bin/sh\n');
    vi.stubEnv('PATH', bin);
    vi.stubEnv('DOCKER_CONFIG', config);
    vi.stubEnv('HOME', root);
    vi.resetModules();
    const [{ machineProbe: shared }, kit] = await Promise.all([import('../src/push.ts'), import('@wasm-build/kit')]);
    const run = vi.spyOn(kit.exec, 'run'); // the real commands run; the spy only records them
    return { probe: shared(), commands: () => run.mock.calls.map(([c]) => `${c.command} ${c.args?.join(' ')}`) };
  }
  const version = (v: string) => `echo "github.com/docker/buildx ${v} 7d1a4f2"`;

  it('reads the version from the one `docker buildx version` it runs, however often it is asked', async () => {
    const { probe, commands } = await fresh({ plugin: true, tools: { docker: version('v0.29.1') } });
    expect(await Promise.all([probe.buildxVersion(), probe.buildxVersion()])).toEqual(['0.29.1', '0.29.1']);
    expect(await probe.buildxVersion()).toBe('0.29.1');
    expect(commands()).toEqual(['docker buildx version']);
  });

  it('runs a standalone `buildx version` where there is no docker', async () => {
    const { probe, commands } = await fresh({ plugin: false, tools: { buildx: version('v0.13.0') } });
    expect(await probe.buildxVersion()).toBe('0.13.0');
    expect(commands()).toEqual(['buildx version']);
  });

  it.each([
    [
      'docker with no buildx plugin: the push would run `docker buildx`',
      false,
      { docker: 'exit 0', buildx: version('v0.13.0') },
      [],
    ],
    ['a docker buildx that fails', true, { docker: 'exit 1', buildx: version('v0.13.0') }, ['docker buildx version']],
    ['an answer with no version in it', true, { docker: 'echo hello' }, ['docker buildx version']],
  ])('finds no buildx for %s', async (_, plugin, tools, expected) => {
    const { probe, commands } = await fresh({ plugin, tools });
    expect(await probe.buildxVersion()).toBeUndefined();
    expect(commands()).toEqual(expected);
  });
});
