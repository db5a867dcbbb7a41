// Every input is checked before any work, against stated bounds: durations and numbers, paths (ENAMETOOLONG), an RE2
// expect-stdout, wasm-opt arguments that would name a file, and a preopen that is missing or a runner root.
import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { readInputs, UserError } from '@wasm-build/kit';
import { checkExpectations } from '@wasm-build/smoke';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { z } from 'zod';
import { ACTIONS, inputSpec } from '../../../actions/definitions.ts';
import { schema as imageSchema } from '../../../actions/image/src/inputs.ts';
import { schema as smokeSchema } from '../../../actions/smoke-test/src/inputs.ts';
import { schema as rootSchema } from '../../../actions/wasm-build/src/inputs.ts';
import { parseCli } from '../src/cli-args.ts';
import { preopenProblem, preopenRoots, smokeExpectations, TIMEOUT_MAX_MS } from '../src/options.ts';
import { Re2RegExp } from '../src/re2-regexp.ts';

const dir = mkdtempSync(join(tmpdir(), 'input-bounds-'));
const LONG = 'x'.repeat(300);

describe('parseCli refuses out-of-bounds values before any work', () => {
  it.each([
    [
      ['x', '--timeout', '1000000000000'],
      `Invalid --timeout 1000000000000: expected at most ${TIMEOUT_MAX_MS} ms (6 hours)`,
    ],
    [
      ['x', '--timeout', '99999999999999999999'],
      'Invalid --timeout "99999999999999999999": expected a whole number (at most 15 digits)',
    ],
    [['x', '--timeout', '0'], 'Invalid --timeout 0: Too small: expected number to be >0'],
    [['x', '--expect-exit-code', '256'], 'Invalid --expect-exit-code 256: Too big: expected number to be <=255'],
    [['x', '--expect-exit-code=-1'], 'Invalid --expect-exit-code -1: Too small: expected number to be >=0'],
    [['x', '--max-size', '4294967297'], 'Invalid --max-size 4294967297: expected at most 4294967296 bytes (4 GiB)'],
    [
      ['x', '--expect-stdout', '(a', '--expect-stdout-regex'],
      'Invalid --expect-stdout "(a": not an RE2 regular expression (missing closing ): `(a`)',
    ],
    [
      ['x', '--expect-stdout', 'a(?=b)', '--expect-stdout-regex'],
      'Invalid --expect-stdout "a(?=b)": not an RE2 regular expression (invalid or unsupported Perl syntax: `(?=`)',
    ],
    [
      ['x', '--wasm-opt-arg=-O3', '--wasm-opt-arg=--symbolmap=/elsewhere'],
      'Invalid --wasm-opt-arg "--symbolmap=/elsewhere": --symbolmap with a value writes that file',
    ],
    [['x', '--layout', `out/${LONG}`], 'Invalid --layout "out/xxxxxxxx', 'is 300 bytes long; at most 255 (NAME_MAX)'],
    [['x', '--work-dir', 'd/'.repeat(2100)], 'Invalid --work-dir', 'path is 4200 bytes long; at most 4095 (PATH_MAX)'],
    [['x', '--bin', 'a/b'], 'Invalid --bin "a/b": expected a binary name without "/"'],
    [['x', '--preopen', '/'], 'Invalid --preopen "/": / is the file system root: the module could read and write all'],
    [['x', '--preopen', join(dir, 'missing')], `Invalid --preopen "${join(dir, 'missing')}": the directory`],
  ])('%j', (argv, ...parts) => {
    let err: unknown;
    try {
      parseCli(argv);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(UserError);
    for (const p of parts) expect((err as Error).message).toContain(p);
    expect((err as Error).message).not.toContain('\n');
  });

  it('takes the same values within bounds, a literal expect-stdout, and a root preopen with --preopen-allow-root', () => {
    const o = parseCli([
      'x',
      '--timeout',
      String(TIMEOUT_MAX_MS),
      '--expect-exit-code',
      '255',
      '--max-size',
      String(2 ** 32),
      '--expect-stdout',
      '(a',
      '--wasm-opt-arg=--symbolmap',
      '--preopen',
      '/',
      '--preopen-allow-root',
    ]).options;
    expect(o).toMatchObject({
      timeoutMs: TIMEOUT_MAX_MS,
      expectExitCode: 255,
      maxSize: 2 ** 32,
      expectStdout: '(a',
      wasmOptArgs: ['--symbolmap'],
      preopen: '/',
      preopenAllowRoot: true,
    });
    // With no smoke test the preopen is not used, so a missing one is no error.
    expect(parseCli(['x', '--no-smoke', '--preopen', join(dir, 'missing')]).options?.preopen).toBe(
      join(dir, 'missing'),
    );
  });
});

describe('action inputs, read as readInputs reads them', () => {
  // As the runner gives them: the action.yml default for an input not in `with:`, `${{ github.token }}` evaluated.
  const evaluate = (d?: string) => (d === '${{ github.token }}' ? 'ghs_token' : d);
  const read = <S extends z.ZodType>(s: S, action: string, inputs: Record<string, string>) => {
    const defs = ACTIONS.find((a) => a.dir === action)!.inputs;
    return readInputs(s, inputSpec(action), (n) => inputs[n] ?? evaluate(defs[n]?.default) ?? '');
  };

  it.each([
    [{ timeout: '1000000000000' }, `Invalid input "timeout": "1000000000000": expected at most ${TIMEOUT_MAX_MS} ms`],
    [
      { 'expect-stdout': '(a+', 'expect-stdout-regex': 'true' },
      'Invalid input "expect-stdout": "(a+": not an RE2 regular expression (missing closing )',
    ],
    [
      { 'wasm-opt-args': '-O3\n--output-source-map\n/tmp/x.map' },
      'Invalid input "wasm-opt-args": "--output-source-map": --output-source-map writes a source map file',
    ],
    [{ preopen: '/' }, 'Invalid input "preopen": "/": / is the file system root'],
    [{ 'binaryen-version': '1'.repeat(400) }, 'Invalid input "binaryen-version"'],
  ])('root action %j', (inputs, message) => {
    expect(() => read(rootSchema, 'wasm-build', inputs)).toThrow(message);
  });

  it('root action: a literal expect-stdout is no regex, and preopen-allow-root lets / through', () => {
    expect(read(rootSchema, 'wasm-build', { 'expect-stdout': '(a+' }).expectStdout).toBe('(a+');
    expect(read(rootSchema, 'wasm-build', { preopen: '/', 'preopen-allow-root': 'true' }).preopen).toBe('/');
  });

  it('smoke-test action: the same checks', () => {
    expect(() => read(smokeSchema, 'smoke-test', { wasm: 'm.wasm', timeout: '1000000000000' })).toThrow(
      'Invalid input "timeout"',
    );
    expect(() =>
      read(smokeSchema, 'smoke-test', { wasm: 'm.wasm', 'expect-stdout': '\\1', 'expect-stdout-regex': 'true' }),
    ).toThrow('Invalid input "expect-stdout": "\\\\1": not an RE2 regular expression (invalid escape sequence');
    expect(() => read(smokeSchema, 'smoke-test', { wasm: 'm.wasm', preopen: join(dir, 'nope') })).toThrow(
      `Invalid input "preopen": "${join(dir, 'nope')}": the directory ${join(dir, 'nope')} does not exist`,
    );
  });

  it('image action: a name or layout-dir Linux would refuse with ENAMETOOLONG is an input error', () => {
    expect(() => read(imageSchema, 'image', { wasm: 'm.wasm', name: LONG })).toThrow('Invalid input "name": "xxxx');
    expect(() => read(imageSchema, 'image', { wasm: 'm.wasm', 'layout-dir': `a/${LONG}` })).toThrow(
      'is 300 bytes long; at most 255 (NAME_MAX)',
    );
  });
});

describe('preopenProblem', () => {
  const saved = { ...process.env };
  let env: NodeJS.ProcessEnv;
  beforeEach(() => {
    const root = mkdtempSync(join(tmpdir(), 'preopen-roots-'));
    env = {
      HOME: join(root, 'home', 'runner'),
      GITHUB_WORKSPACE: join(root, 'home', 'runner', 'work', 'repo', 'repo'),
      RUNNER_TEMP: join(root, 'home', 'runner', 'work', '_temp'),
      RUNNER_TOOL_CACHE: join(root, 'opt', 'hostedtoolcache'),
    };
    for (const d of [env.GITHUB_WORKSPACE!, env.RUNNER_TEMP!, env.RUNNER_TOOL_CACHE!])
      mkdirSync(d, { recursive: true });
  });
  afterEach(() => {
    process.env = { ...saved };
  });
  const problem = (spec: string, allowRoot = false) => preopenProblem(spec, { allowRoot, env });

  it('refuses /, each runner root and each of their parents, also through a symlink', () => {
    const ws = env.GITHUB_WORKSPACE!;
    expect(problem('/')).toMatch(/^\/ is the file system root: the module could read and write all of it/);
    expect(problem(env.HOME!)).toMatch(/is the runner's home \(HOME\)/);
    expect(problem(ws)).toMatch(/is the workspace \(GITHUB_WORKSPACE\)/);
    expect(problem(dirname(ws))).toMatch(/is a parent of the workspace \(GITHUB_WORKSPACE=/);
    expect(problem(env.RUNNER_TEMP!)).toMatch(/is the runner's temp dir \(RUNNER_TEMP\)/);
    expect(problem(dirname(env.RUNNER_TOOL_CACHE!))).toMatch(/a parent of the tool cache/);
    const link = join(env.RUNNER_TEMP!, 'job', 'root-link');
    mkdirSync(dirname(link), { recursive: true });
    symlinkSync('/', link);
    expect(problem(`${link}:/data`)).toMatch(/is the file system root/);
    expect(problem(`${link}/..`)).toBeUndefined(); // resolves to RUNNER_TEMP/job, a directory of its own
    expect(preopenRoots(env).get('/')).toBe('the file system root');
  });

  it('allows a directory of its own, or a root with allowRoot', () => {
    const own = join(env.GITHUB_WORKSPACE!, 'testdata');
    mkdirSync(own);
    expect(problem(own)).toBeUndefined();
    expect(problem(`${own}:/input`)).toBeUndefined();
    expect(problem('/', true)).toBeUndefined();
  });

  it('refuses a missing host, a file, and a guest that is relative, climbs, or covers /', () => {
    const file = join(dir, 'file');
    writeFileSync(file, 'x');
    expect(problem(join(dir, 'gone'))).toBe(`the directory ${join(dir, 'gone')} does not exist`);
    expect(problem(file)).toBe(`${file} is not a directory`);
    expect(problem(`${dir}:data`)).toBe('guest path "data" must be absolute, without ".."');
    expect(problem(`${dir}:/a/../..`)).toBe('guest path "/a/../.." must be absolute, without ".."');
    expect(problem(`${dir}:/`)).toMatch(/^guest path "\/" would cover the image's own files/);
    expect(problem(':/data')).toBe('expected HOST or HOST:GUEST, HOST a directory');
  });
});

describe('expect-stdout as a regular expression runs in linear time (RE2)', () => {
  it('answers (a+)+b against 30 a and a c within a second, where a backtracking engine runs for minutes', () => {
    const e = smokeExpectations({
      smokeArgs: [],
      smokeEnv: [],
      expectExitCode: 0,
      expectStdout: '(a+)+b',
      expectStdoutRegex: true,
      timeoutMs: 1000,
    });
    expect(e.stdout).toBeInstanceOf(RegExp);
    const started = performance.now();
    const reason = checkExpectations(0, `${'a'.repeat(30)}c`, e);
    const long = (e.stdout as RegExp).test(`${'a'.repeat(200_000)}c`);
    expect(performance.now() - started).toBeLessThan(1000);
    expect(reason).toBe('stdout does not match /(a+)+b/');
    expect(long).toBe(false);
    expect(checkExpectations(0, 'xx aaab yy', e)).toBeUndefined();
  });

  it('behaves as a RegExp for test, exec, match and toString; refuses split rather than backtrack', () => {
    const re = new Re2RegExp('h(é)(?P<ls>l+)o');
    expect(re.source).toBe('h(é)(?P<ls>l+)o');
    expect(String(re)).toBe('/h(é)(?P<ls>l+)o/');
    expect(re.test('say hélllo')).toBe(true);
    const m = 'say hélllo'.match(re);
    expect([m?.[0], m?.[1], m?.index, m?.groups?.ls]).toEqual(['hélllo', 'é', 4, 'lll']);
    expect(re.exec('nothing')).toBeNull();
    expect(() => 'a,b'.split(new Re2RegExp(','))).toThrow(TypeError);
  });

  it('a pattern RE2 refuses is a UserError from smokeExpectations too', () => {
    expect(() =>
      smokeExpectations({
        smokeArgs: [],
        smokeEnv: [],
        expectExitCode: 0,
        expectStdout: '(?<=a)b',
        expectStdoutRegex: true,
        timeoutMs: 1,
      }),
    ).toThrow(UserError);
  });
});
