// The image's `created` time: SOURCE_DATE_EPOCH, else the commit time of the crate's checkout, else 0.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Command, exec } from '@wasm-build/kit';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { imageCreated, imageStep } from '../src/steps/image.ts';

const COMMIT = 1_733_011_200; // 2024-12-01T00:00:00Z

// A crate in a git checkout (a `.git` two levels up), and one in no checkout: git is asked only for the first.
const root = mkdtempSync(join(tmpdir(), 'created-checkout-'));
mkdirSync(join(root, '.git'));
mkdirSync(join(root, 'src', 'crate'), { recursive: true });
const CRATE = join(root, 'src', 'crate', 'Cargo.toml');
const outside = mkdtempSync(join(tmpdir(), 'created-outside-'));
afterAll(() => {
  for (const d of [root, outside]) rmSync(d, { recursive: true, force: true });
});

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
    expect(await imageCreated(CRATE, {})).toBe(COMMIT);
    expect(calls).toEqual([{ command: 'git', args: ['log', '-1', '--format=%ct'], cwd: join(root, 'src', 'crate') }]);
  });

  it('starts no git outside a checkout (no .git up the tree), unless GIT_DIR says where one is', async () => {
    const calls = fakeGit({ exitCode: 0, stdout: `${COMMIT}\n` });
    expect(await imageCreated(join(outside, 'Cargo.toml'), {})).toBe(0);
    expect(calls).toEqual([]);
    expect(await imageCreated(join(outside, 'Cargo.toml'), { GIT_DIR: '/elsewhere/.git' })).toBe(COMMIT);
    expect(calls).toHaveLength(1);
  });

  it.each([
    ['SOURCE_DATE_EPOCH wins', { SOURCE_DATE_EPOCH: '42' }, CRATE, { exitCode: 0, stdout: `${COMMIT}` }, 42],
    ['git refuses the checkout', {}, CRATE, { exitCode: 128, stdout: '' }, 0],
    ['garbage from git', {}, CRATE, { exitCode: 0, stdout: 'fatal' }, 0],
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
      mkdirSync(join(dir, '.git'));
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
