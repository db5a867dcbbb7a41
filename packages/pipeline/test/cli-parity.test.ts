// Parity of the CLI with the root action (issue 15, item 3): every input of actions/definitions.ts's root action is a
// flag of the same name and a WASM_BUILD_<NAME> variable, each landing on the option key the action's readInputs
// fills, with the same value. The loops run over the definitions, so a new input is covered (and needs a flag) as
// soon as it is defined.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isSecretEnv, readInputs } from '@wasm-build/kit';
import { describe, expect, it } from 'vitest';
import { ACTIONS, type InputDef, inputSpec } from '../../../actions/definitions.ts';
import { schema as rootSchema } from '../../../actions/wasm-build/src/inputs.ts';
import {
  cliFlagSpec,
  defaultToolCache,
  ENV_ONLY,
  envName,
  FLAG_ALIASES,
  parseCli,
  ROOT_INPUTS,
  USAGE,
} from '../src/cli-args.ts';

const ROOT = ACTIONS[0];
const preopenDir = mkdtempSync(join(tmpdir(), 'parity-preopen-'));

/** A valid value for each input that is not its default (strings must pass the schema). */
const SAMPLES: Record<string, string> = {
  'manifest-path': 'examples/hello',
  toolchain: 'debian',
  target: 'wasm32-wasip1',
  'binaryen-version': '131',
  'binaryen-base-url': 'https://mirror.example/binaryen',
  package: 'hello',
  bin: 'hello',
  features: 'a,b',
  profile: 'dev',
  'wasm-opt': '/opt/wasm-opt',
  'opt-level': '3',
  'wasm-opt-args': '-O3',
  require: 'threads,simd',
  forbid: 'simd',
  'max-size': '1000',
  image: 'ghcr.io/o/app:v1',
  annotations: 'a=1',
  labels: 'b=2',
  backend: 'skopeo',
  tags: 'v1,v2',
  username: 'u',
  'oras-version': '1.2.0',
  'layout-dir': 'out/layout',
  args: 'x',
  env: 'K=v',
  'expect-stdout': 'hi',
  'expect-exit-code': '3',
  timeout: '1000',
  runtimes: 'wasmtime',
  'allow-incompatible': 'wasmtime',
  preopen: preopenDir,
  wasmedge: '/opt/wasmedge',
  'wasmedge-version': '0.14.1',
  'wasmedge-sha256': 'a'.repeat(64),
  crun: '/opt/crun',
  'crun-version': '1.20',
  wasmtime: '/opt/wasmtime',
  'wasmtime-version': '30.0.0',
  'github-token': 'ghp_sample',
  'work-dir': 'w',
};

/** The sample of an input: from SAMPLES, a boolean's non-default, else one by kind. */
function sample(name: string, def: InputDef): string {
  if (def.kind === 'boolean') return def.default === 'true' ? 'false' : 'true';
  return SAMPLES[name] ?? (def.kind === 'number' ? '7' : 'sample');
}

/** The flag(s) giving `value` to input `name`. */
function flagArgs(name: string, def: InputDef, value: string): string[] {
  if (def.kind === 'boolean') return [value === 'true' ? `--${name}` : `--no-${name}`];
  return [`--${name}=${value}`];
}

/** What the action reads with `name` set to `value` and every other input at its action.yml default. */
function actionReads(name: string, value: string): Record<string, unknown> {
  const defaults = (n: string) => {
    const d = ROOT.inputs[n].default ?? '';
    return d.startsWith('${{') ? '' : d;
  };
  return readInputs(rootSchema, inputSpec('wasm-build'), (n) => (n === name ? value : defaults(n))) as Record<
    string,
    unknown
  >;
}

/** Inputs with a flag: all but the secrets (ENV_ONLY). */
const WITH_FLAG = Object.entries(ROOT.inputs).filter(([n]) => !(n in ENV_ONLY));
const CLI_DEFAULTS = parseCli([], {}).inputs as Record<string, unknown>;

describe('CLI parity with the root action', () => {
  it('reads the inputs of ACTIONS[0] (wasm-build), the new ones (provenance, sbom) among them', () => {
    expect(ROOT.dir).toBe('wasm-build');
    expect(ROOT_INPUTS).toBe(ROOT.inputs);
    expect(Object.keys(ROOT.inputs)).toEqual(expect.arrayContaining(['provenance', 'sbom', 'cache', 'github-token']));
  });

  it('has a flag for every input (a boolean also --no-NAME), and no other exception than the two secrets', () => {
    const spec = cliFlagSpec();
    const missing = Object.keys(ROOT.inputs).filter((n) => !(n in spec) && !(n in ENV_ONLY));
    expect(missing, `inputs with no CLI flag: ${missing.join(', ')}`).toEqual([]);
    for (const [n, d] of Object.entries(ROOT.inputs)) if (d.kind === 'boolean') expect(spec).toHaveProperty(`no-${n}`);
    // The one exception, with its reason: a flag's value shows in `ps`.
    expect(Object.keys(ENV_ONLY)).toEqual(['password', 'github-token']);
    expect(ENV_ONLY.password).toMatch(/ps/);
    expect(ENV_ONLY['github-token']).toMatch(/ps/);
    expect(spec).not.toHaveProperty('password');
    expect(spec).not.toHaveProperty('github-token');
    expect(() => parseCli(['x', '--password', 'p'])).toThrow(/Unknown option '--password'/);
    expect(() => parseCli(['x', '--github-token', 't'])).toThrow(/Unknown option '--github-token'/);
  });

  it('lists every input in --help, by flag (the password by its variable)', () => {
    for (const [n, d] of Object.entries(ROOT.inputs)) {
      const shown = n in ENV_ONLY ? envName(n) : d.kind === 'boolean' ? `--[no-]${n}` : `--${n} `;
      expect(USAGE, n).toContain(shown);
    }
    expect(USAGE).toContain('WASM_BUILD_BINARYEN_VERSION');
    expect(Math.max(...USAGE.split('\n').map((l) => l.length))).toBeLessThanOrEqual(120);
  });

  it('names each variable WASM_BUILD_ and the input in upper case, dashes as underscores', () => {
    expect(envName('binaryen-version')).toBe('WASM_BUILD_BINARYEN_VERSION');
    expect(envName('smoke')).toBe('WASM_BUILD_SMOKE');
    // The secret ones never reach a child (cargo's build scripts, the runtimes).
    expect(isSecretEnv(envName('password'))).toBe(true);
    expect(isSecretEnv(envName('github-token'))).toBe(true);
  });

  it.each(WITH_FLAG)('--%s lands on the key readInputs fills, with the same value', (name, def) => {
    const value = sample(name, def);
    const want = actionReads(name, value)[def.key];
    const cmd = parseCli(flagArgs(name, def, value), {});
    expect(cmd.kind).toBe('pipeline');
    expect((cmd.inputs as Record<string, unknown>)[def.key]).toEqual(want);
    // Not the default by chance: the flag changed it.
    expect(want).not.toEqual(CLI_DEFAULTS[def.key]);
  });

  it.each(Object.entries(ROOT.inputs))('%s as its WASM_BUILD_ variable lands on the same key', (name, def) => {
    const value = sample(name, def);
    const want = actionReads(name, value)[def.key];
    const env: Record<string, string> = { [envName(name)]: value };
    // The password is read with a username only, as with the flag.
    const argv = name === 'password' ? ['--username', 'u'] : [];
    expect((parseCli(argv, env).inputs as Record<string, unknown>)[def.key]).toEqual(want);
  });

  it.each(Object.entries(FLAG_ALIASES))('the alias --%s is --%s', (alias, name) => {
    const def = ROOT.inputs[name];
    const value = sample(name, def);
    expect((parseCli([`--${alias}=${value}`], {}).inputs as Record<string, unknown>)[def.key]).toEqual(
      actionReads(name, value)[def.key],
    );
  });

  it('passes binaryen and the runtime tools to runPipeline as the action does, and only when asked', () => {
    const plain = parseCli(['x'], {});
    expect(plain.extra?.binaryen).toBeUndefined();
    expect(plain.extra?.tools?.install).toBe(false);
    expect(plain.toolCache).toBeUndefined();

    const b = parseCli(['x', '--binaryen-version', '131'], {});
    expect(b.extra?.binaryen).toEqual({ version: '131', baseUrl: ROOT.inputs['binaryen-base-url'].default });
    expect(b.toolCache).toBe(defaultToolCache({}));
    // wasm-opt given, or optimize off: nothing to install, as in the action.
    expect(parseCli(['x', '--binaryen-version', '131', '--no-optimize'], {}).extra?.binaryen).toBeUndefined();
    expect(
      parseCli(['x', '--binaryen-version', '131'], { RUNNER_TOOL_CACHE: '/tc', XDG_CACHE_HOME: '/c' }).toolCache,
    ).toBeUndefined();

    const r = parseCli(['x', '--wasmedge-version', '0.14.1', '--crun', '/opt/crun'], {
      WASM_BUILD_GITHUB_TOKEN: 'ghp_t',
      XDG_CACHE_HOME: '/c',
    });
    expect(r.extra?.tools).toEqual({
      wasmedgeVersion: '0.14.1',
      crun: '/opt/crun',
      githubToken: 'ghp_t',
      install: true,
    });
    expect(r.toolCache).toBe('/c/wasm-build/tool-cache');
  });
});

describe('WASM_BUILD_ variables', () => {
  it('read each kind as the action reads its input', () => {
    const o = parseCli([], {
      WASM_BUILD_MANIFEST_PATH: 'examples/hello',
      WASM_BUILD_SMOKE: 'false',
      WASM_BUILD_FEATURES: 'a, b\nc',
      WASM_BUILD_ARGS: 'one two\nthree',
      WASM_BUILD_TIMEOUT: ' 1500 ',
      WASM_BUILD_PROFILE: '',
    }).options!;
    expect(o).toMatchObject({
      manifestPath: 'examples/hello',
      smoke: false,
      features: ['a', 'b', 'c'],
      smokeArgs: ['one two', 'three'],
      timeoutMs: 1500,
      // Empty is "not given", as for an action input.
      profile: 'release',
    });
  });

  it.each([
    [{ WASM_BUILD_SMOKE: 'yes' }, 'Invalid WASM_BUILD_SMOKE "yes": expected true or false'],
    [{ WASM_BUILD_TIMEOUT: 'soon' }, 'Invalid WASM_BUILD_TIMEOUT "soon": expected a whole number'],
    [{ WASM_BUILD_OPT_LEVEL: '9' }, 'Invalid WASM_BUILD_OPT_LEVEL "9"'],
    [{ WASM_BUILD_IMAGE: 'bad/re..f' }, 'Invalid WASM_BUILD_IMAGE "bad/re..f"'],
  ])('%j is refused naming the variable and the value', (env, message) => {
    expect(() => parseCli(['x'], env)).toThrow(message);
  });

  it('take the releases API token from WASM_BUILD_GITHUB_TOKEN, else GITHUB_TOKEN', () => {
    expect(parseCli(['x'], { WASM_BUILD_GITHUB_TOKEN: 'a', GITHUB_TOKEN: 'b' }).inputs?.githubToken).toBe('a');
    expect(parseCli(['x'], { GITHUB_TOKEN: 'b' }).inputs?.githubToken).toBe('b');
    expect(parseCli(['x'], {}).inputs?.githubToken).toBeUndefined();
  });

  it('take the password from WASM_BUILD_PASSWORD only, with a username', () => {
    expect(parseCli(['x', '--username', 'u'], { WASM_BUILD_PASSWORD: 'p' }).options?.password).toBe('p');
    expect(parseCli(['x'], { WASM_BUILD_PASSWORD: 'p' }).options?.password).toBeUndefined();
  });
});

describe('precedence: flag, then variable, then default', () => {
  it.each([
    ['profile', ['--profile', 'flagged'], { WASM_BUILD_PROFILE: 'from-env' }, 'flagged', 'from-env', 'release'],
    ['smoke', ['--smoke'], { WASM_BUILD_SMOKE: 'false' }, true, false, true],
    ['features', ['--features', 'f'], { WASM_BUILD_FEATURES: 'e1,e2' }, ['f'], ['e1', 'e2'], []],
    ['timeoutMs', ['--timeout', '10'], { WASM_BUILD_TIMEOUT: '20' }, 10, 20, 30000],
    ['smokeArgs', ['--arg', 'a'], { WASM_BUILD_ARGS: 'b' }, ['a'], ['b'], []],
    ['manifestPath', ['crate'], { WASM_BUILD_MANIFEST_PATH: 'env-crate' }, 'crate', 'env-crate', '.'],
  ] as const)('%s', (key, flags, env, byFlag, byEnv, byDefault) => {
    const get = (argv: readonly string[], e: Record<string, string>) =>
      (parseCli([...argv], e).options as Record<string, unknown>)[key];
    expect(get(flags, env)).toEqual(byFlag);
    expect(get([], env)).toEqual(byEnv);
    expect(get([], {})).toEqual(byDefault);
  });

  it('the last of --NAME and --no-NAME wins', () => {
    expect(parseCli(['--no-smoke', '--smoke'], {}).options?.smoke).toBe(true);
    expect(parseCli(['--smoke', '--no-smoke'], {}).options?.smoke).toBe(false);
  });

  it('a flag given from the variable is named in its error as the variable, a flag as the flag', () => {
    expect(() => parseCli(['x', '--layout', 'a\0b'], {})).toThrow(/^Invalid --layout /);
    expect(() => parseCli(['x'], { WASM_BUILD_LAYOUT_DIR: 'a\0b' })).toThrow(/^Invalid WASM_BUILD_LAYOUT_DIR /);
  });

  it('refuses a crate given both as the argument and as --manifest-path', () => {
    expect(() => parseCli(['a', '--manifest-path', 'b'], {})).toThrow(/Both a crate "a" and --manifest-path "b"/);
  });
});
