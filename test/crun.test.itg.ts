// crun for real (Debian's crun, which has no wasm handler) with a native static payload (busybox): the bundle we
// write, the process from Entrypoint+Cmd, env, read-only root, a preopen bind mount, exit codes, the timeout kill
// and the forced delete. And the runner's refusal of a crun without +WASM:wasmedge, before anything runs.
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { memoryLog } from '@wasm-build/kit';
import { buildImage, builtToRunnable } from '@wasm-build/oci';
import { machineTools } from '@wasm-build/pipeline';
import { type CrunHost, hasHybridCgroups, runBundle, smokeImage } from '@wasm-build/smoke';
import { verifyBinary } from '@wasm-build/wasm';
import { describe, expect, it } from 'vitest';
import { corpusFile } from './helpers/corpus.ts';
import { HAVE, requireTools } from './helpers/tools.ts';

const root = process.getuid?.() === 0;
const ready = requireTools('crun bundle tests', {
  'crun (apt crun)': HAVE.crun,
  'busybox (apt busybox-static)': HAVE.busybox,
  'root or passwordless sudo': root || spawnSync('sudo', ['-n', 'true']).status === 0,
});
const host: CrunHost = { crun: 'crun', sudo: !root, hybridCgroups: hasHybridCgroups() };
const busybox = spawnSync('sh', ['-c', 'command -v busybox'], { encoding: 'utf8' }).stdout.trim();

function bundle(): string {
  const dir = mkdtempSync(join(process.env.RUNNER_TEMP!, 'bundle-'));
  mkdirSync(join(dir, 'rootfs', 'bin'), { recursive: true });
  copyFileSync(busybox, join(dir, 'rootfs', 'bin', 'busybox'));
  return dir;
}
const ann = { 'module.wasm.image/variant': 'compat-smart' };
const sh = (script: string) => ['/bin/busybox', 'sh', '-c', script];

describe.runIf(ready)('crun runs our bundle', () => {
  it('runs Entrypoint+Cmd with the env, and passes on the expected stdout', async () => {
    const r = await runBundle(
      'crun',
      host,
      bundle(),
      { args: sh('echo "$GREETING from $0"'), env: ['GREETING=hi', 'PATH=/bin'], annotations: ann },
      { stdout: 'hi from sh' },
    );
    expect(r).toMatchObject({ status: 'pass', exitCode: 0, stdout: 'hi from sh' });
  });

  it('checks the exit code both ways', async () => {
    const spec = { args: sh('exit 3'), env: [], annotations: ann };
    expect(await runBundle('crun', host, bundle(), spec, { exitCode: 3 }, true)).toMatchObject({
      status: 'pass',
      exitCode: 3,
    });
    expect(await runBundle('crun', host, bundle(), spec, {}, true)).toMatchObject({
      status: 'fail',
      reason: 'exit code 3, expected 0',
    });
  });

  it('keeps the root read-only, the network the host’s, and the pid namespace its own', async () => {
    const r = await runBundle(
      'crun',
      host,
      bundle(),
      { args: sh('touch /x; echo pid=$$; ls /proc/1/ns/net >/dev/null && echo ok'), env: [], annotations: ann },
      {},
    );
    expect(r.stderr).toContain('Read-only file system');
    expect(r.stdout).toContain('pid=1');
  });

  it('bind-mounts a preopen', async () => {
    const data = mkdtempSync(join(tmpdir(), 'preopen-'));
    writeFileSync(join(data, 'in.txt'), 'from the host');
    const dir = bundle();
    mkdirSync(join(dir, 'rootfs', 'data'));
    const r = await runBundle(
      'crun',
      host,
      dir,
      {
        args: ['/bin/busybox', 'cat', '/data/in.txt'],
        env: [],
        annotations: ann,
        preopen: { host: data, guest: '/data' },
      },
      { stdout: 'from the host' },
    );
    expect(r.status).toBe('pass');
  });

  it('kills a run at its timeout and deletes the container: no container, no process, nothing left', async () => {
    const before = readdirSync(process.env.RUNNER_TEMP!).length;
    const dir = bundle();
    const r = await runBundle(
      'crun',
      host,
      dir,
      { args: ['/bin/busybox', 'sleep', '47'], env: [], annotations: ann },
      { timeoutMs: 1000 },
    );
    expect(r).toMatchObject({ status: 'fail', reason: 'timed out after 1000 ms' });
    const list = spawnSync(host.crun, ['list', '-q'], { encoding: 'utf8' }).stdout;
    expect(list.split('\n').filter((l) => l.startsWith(`wasm-build-${process.pid}-`))).toEqual([]);
    expect(spawnSync('pgrep', ['-f', 'busybox sleep 47']).status).toBe(1);
    expect(readdirSync(process.env.RUNNER_TEMP!).length).toBe(before + 1); // only the bundle dir this test made
  });
});

describe.runIf(HAVE.crun)('a crun without the WasmEdge handler', () => {
  it.runIf(!HAVE.crunWasm)('is reported skipped with the reason, before any bundle is written', async () => {
    const wasm = corpusFile('binaries/wasi-testsuite_as_fd_write-to-stdout.wasm');
    const image = builtToRunnable(await buildImage({ wasm, name: 'fd' }));
    const temp = readdirSync(process.env.RUNNER_TEMP!);
    const [r] = await smokeImage(
      {
        image,
        report: await verifyBinary(wasm),
        runtimes: ['crun-wasmedge'],
        expectations: {},
        tools: machineTools({ install: false }, memoryLog()),
      },
      memoryLog(),
    );
    expect(r).toMatchObject({ runtime: 'crun-wasmedge', status: 'skipped' });
    expect(r.reason).toMatch(
      /^crun \(crun version [\d.]+\) has no WasmEdge handler: crun --version lacks \+WASM:wasmedge$/,
    );
    expect(readdirSync(process.env.RUNNER_TEMP!)).toEqual(temp);
  });
});
