// The image's `created` time: SOURCE_DATE_EPOCH, else the commit time of the crate's checkout, else 0.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Command, exec } from '@wasm-build/kit';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { imageCreated, imageStep } from '../src/steps/image.ts';

const COMMIT = 1_733_011_200; // 2024-12-01T00:00:00Z

// Fakes git by command string; anything else is refused so the test cannot reach a real tool.
function fakeGit(answer: { exitCode: number; stdout: string }) {
  const calls: Command[] = [];
  vi.spyOn(exec, 'run').mockImplementation(async (cmd) => {
    calls.push(cmd);
    if (`${cmd.command} ${cmd.args.join(' ')}` === 'git log -1 --format=%ct')
      return { ...answer, stderr: '', durationMs: 1 };
    return { exitCode: 127, stdout: '', stderr: 'not faked', durationMs: 1 };
  });
  return calls;
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe('imageCreated', () => {
  it('is the commit time in the crate directory when SOURCE_DATE_EPOCH is unset', async () => {
    const calls = fakeGit({ exitCode: 0, stdout: `${COMMIT}\n` });
    expect(await imageCreated('/src/crate/Cargo.toml', {})).toBe(COMMIT);
    expect(calls).toEqual([{ command: 'git', args: ['log', '-1', '--format=%ct'], cwd: '/src/crate' }]);
  });

  it.each([
    ['SOURCE_DATE_EPOCH wins', { SOURCE_DATE_EPOCH: '42' }, '/c/Cargo.toml', { exitCode: 0, stdout: `${COMMIT}` }, 42],
    ['not a git checkout', {}, '/c/Cargo.toml', { exitCode: 128, stdout: '' }, 0],
    ['garbage from git', {}, '/c/Cargo.toml', { exitCode: 0, stdout: 'fatal' }, 0],
    ['no crate', {}, undefined, { exitCode: 0, stdout: `${COMMIT}` }, 0],
  ])('%s', async (_name, env, manifestPath, answer, want) => {
    fakeGit(answer);
    expect(await imageCreated(manifestPath, env)).toBe(want);
  });

  it('the image step stamps the commit time, reproducibly (same digest twice)', async () => {
    fakeGit({ exitCode: 0, stdout: `${COMMIT}\n` });
    const saved = process.env.SOURCE_DATE_EPOCH;
    delete process.env.SOURCE_DATE_EPOCH;
    try {
      const dir = mkdtempSync(join(tmpdir(), 'created-'));
      writeFileSync(join(dir, 'Cargo.toml'), '[package]\nname = "m"\nversion = "0.1.0"\n');
      const wasm = new Uint8Array([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0]);
      const step = (n: number) =>
        imageStep({
          wasm,
          name: 'm',
          manifestPath: join(dir, 'Cargo.toml'),
          annotations: {},
          labels: {},
          layoutDir: join(dir, `layout${n}`),
          tag: 'v1',
        });
      const [a, b] = [await step(1), await step(2)];
      expect((a.value.manifestJson.annotations as Record<string, string>)['org.opencontainers.image.created']).toBe(
        '2024-12-01T00:00:00Z',
      );
      expect((a.value.configJson as { created: string }).created).toBe('2024-12-01T00:00:00Z');
      expect(b.value.manifest.digest).toBe(a.value.manifest.digest);
    } finally {
      if (saved !== undefined) process.env.SOURCE_DATE_EPOCH = saved;
    }
  });
});
