import { UserError } from '@wasm-build/kit';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { provenanceProblems, statementProblems } from '../../../test/fixtures/schemas/validate.ts';
import {
  canonicalJson,
  IN_TOTO_STATEMENT_V1,
  type ProvenanceInput,
  provenanceStatement,
  SLSA_PROVENANCE_V1,
  WASM_BUILD_BUILD_TYPE,
  WASM_BUILD_IMAGE_BUILD_TYPE,
  WASM_BUILD_LOCAL_BUILDER,
} from '../src/provenance.ts';

const IMAGE = `sha256:${'a'.repeat(64)}`;
const MODULE = `sha256:${'b'.repeat(64)}`;
const LOCK = `sha256:${'c'.repeat(64)}`;
const COMMIT = '0123456789abcdef0123456789abcdef01234567';

const input = (over: Partial<ProvenanceInput> = {}): ProvenanceInput => ({
  image: { name: 'ghcr.io/org/app', digest: IMAGE },
  module: { name: 'hello', sha256: MODULE },
  build: { manifestPath: 'examples/hello', target: 'wasm32-wasip1', profile: 'release', features: ['a', 'b'] },
  optimize: { level: 'z', args: ['--strip-debug'] },
  tools: { toolchain: 'stable', rustc: '1.83.0', host: 'x86_64-unknown-linux-gnu', wasmOpt: 'wasm-opt version 121' },
  cargoLockSha256: LOCK,
  source: { repository: 'https://github.com/org/app', commit: COMMIT },
  verifyReport: { kind: 'module', checks: [{ name: 'size', status: 'pass' }] },
  sourceDateEpoch: 1_700_000_000,
  builderVersion: '0.1.0',
  ...over,
});

const actionsEnv = (over: Record<string, string> = {}) => ({
  GITHUB_ACTIONS: 'true',
  GITHUB_SERVER_URL: 'https://github.com',
  GITHUB_REPOSITORY: 'org/app',
  GITHUB_SHA: 'fedcba9876543210fedcba9876543210fedcba98',
  GITHUB_REF: 'refs/tags/v1.2.3',
  GITHUB_WORKFLOW_REF: 'org/app/.github/workflows/release.yml@refs/tags/v1.2.3',
  GITHUB_RUN_ID: '123456',
  GITHUB_RUN_ATTEMPT: '2',
  GITHUB_TOKEN: 'ghs_secret_token_value',
  ...over,
});

const parse = (b: Uint8Array) => JSON.parse(new TextDecoder().decode(b));

/** Paths (`a.b[0].c`) at which two JSON values differ. */
function diffPaths(a: unknown, b: unknown, path = '$'): string[] {
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) {
    return Object.is(a, b) ? [] : [path];
  }
  if (Array.isArray(a) !== Array.isArray(b)) return [path];
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
  return [...keys].flatMap((k) =>
    diffPaths((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k], `${path}.${k}`),
  );
}

afterEach(() => {
  vi.useRealTimers();
});

describe('provenanceStatement', () => {
  it('is an in-toto Statement v1 with SLSA Provenance v1, valid against both schemas', () => {
    for (const env of [undefined, actionsEnv()]) {
      const doc = parse(provenanceStatement(input({ env })));
      expect(statementProblems(doc)).toEqual([]);
      expect(provenanceProblems(doc)).toEqual([]);
      expect(doc._type).toBe(IN_TOTO_STATEMENT_V1);
      expect(doc.predicateType).toBe(SLSA_PROVENANCE_V1);
    }
  });

  it('the schemas are not vacuous: a misspelt field, a missing digest or an uppercase hex digest fails', () => {
    const good = parse(provenanceStatement(input()));
    const misspelt = structuredClone(good);
    misspelt.predicate.runDetails.metadata.invocationID = 'x';
    expect(provenanceProblems(misspelt).join('\n')).toMatch(/additional properties/);
    const noDigest = structuredClone(good);
    delete noDigest.subject[0].digest;
    expect(statementProblems(noDigest).join('\n')).toMatch(/digest/);
    const upper = structuredClone(good);
    upper.subject[1].digest.sha256 = 'B'.repeat(64);
    expect(statementProblems(upper).join('\n')).toMatch(/pattern/);
    const wrongType = { ...good, predicateType: 'https://slsa.dev/provenance/v0.2' };
    expect(provenanceProblems(wrongType).join('\n')).toMatch(/constant/);
    const localTime = structuredClone(good);
    localTime.predicate.runDetails.metadata.startedOn = '2023-11-14T22:13:20+01:00';
    expect(provenanceProblems(localTime).join('\n')).toMatch(/pattern/);
  });

  it('names the image by repository and the module by its path in the image, as subjects', () => {
    const doc = parse(provenanceStatement(input()));
    expect(doc.subject).toEqual([
      { name: 'ghcr.io/org/app', digest: { sha256: 'a'.repeat(64) } },
      { name: '/hello.wasm', digest: { sha256: 'b'.repeat(64) } },
    ]);
    // Not pushed: the image subject has no name, only its digest.
    const local = parse(provenanceStatement(input({ image: { digest: IMAGE } })));
    expect(local.subject[0]).toEqual({ digest: { sha256: 'a'.repeat(64) } });
  });

  it('records the build definition: external options, resolved tools, Cargo.lock and the source commit', () => {
    const { predicate } = parse(provenanceStatement(input()));
    expect(predicate.buildDefinition).toEqual({
      buildType: WASM_BUILD_BUILD_TYPE,
      externalParameters: {
        manifestPath: 'examples/hello',
        target: 'wasm32-wasip1',
        profile: 'release',
        features: ['a', 'b'],
        wasmOpt: { level: 'z', args: ['--strip-debug'] },
      },
      internalParameters: {
        toolchain: 'stable',
        rustc: '1.83.0',
        host: 'x86_64-unknown-linux-gnu',
        wasmOptVersion: 'wasm-opt version 121',
      },
      resolvedDependencies: [
        { name: 'Cargo.lock', digest: { sha256: 'c'.repeat(64) } },
        { uri: 'git+https://github.com/org/app', digest: { gitCommit: COMMIT } },
      ],
    });
    // Optimize off: no wasmOpt parameter at all.
    const off = parse(provenanceStatement(input({ optimize: undefined })));
    expect(off.predicate.buildDefinition.externalParameters).not.toHaveProperty('wasmOpt');
  });

  it('puts the verify report digest (sha256 of its canonical JSON) in byproducts', async () => {
    const { createHash } = await import('node:crypto');
    const report = { z: 1, a: [true, null, 'x'] };
    const { predicate } = parse(provenanceStatement(input({ verifyReport: report })));
    const expected = createHash('sha256').update('{"a":[true,null,"x"],"z":1}').digest('hex');
    expect(predicate.runDetails.byproducts).toEqual([
      {
        name: 'verify-report.json',
        digest: { sha256: expected },
        mediaType: 'application/vnd.wasm-build.verify-report.v1+json',
      },
    ]);
    // Key order of the report does not matter; its content does.
    const same = parse(provenanceStatement(input({ verifyReport: { a: [true, null, 'x'], z: 1 } })));
    expect(same.predicate.runDetails.byproducts[0].digest.sha256).toBe(expected);
    const other = parse(provenanceStatement(input({ verifyReport: { ...report, z: 2 } })));
    expect(other.predicate.runDetails.byproducts[0].digest.sha256).not.toBe(expected);
  });

  it('on GitHub Actions takes the run details from GITHUB_*: workflow builder, run invocation, repository commit', () => {
    const doc = parse(provenanceStatement(input({ env: actionsEnv(), source: undefined })));
    expect(doc.predicate.runDetails.builder).toEqual({
      id: 'https://github.com/org/app/.github/workflows/release.yml@refs/tags/v1.2.3',
      version: { 'wasm-build': '0.1.0' },
    });
    expect(doc.predicate.runDetails.metadata).toEqual({
      invocationId: 'https://github.com/org/app/actions/runs/123456/attempts/2',
      startedOn: '2023-11-14T22:13:20Z',
    });
    expect(doc.predicate.buildDefinition.resolvedDependencies[1]).toEqual({
      uri: 'git+https://github.com/org/app@refs/tags/v1.2.3',
      digest: { gitCommit: 'fedcba9876543210fedcba9876543210fedcba98' },
    });
  });

  it('outside Actions says what it knows: the local builder, no invocation, the git commit when given', () => {
    // GITHUB_* without GITHUB_ACTIONS=true (a developer's shell) is not a run on Actions.
    const { GITHUB_ACTIONS: _, ...shell } = actionsEnv();
    const doc = parse(provenanceStatement(input({ env: shell })));
    expect(doc.predicate.runDetails.builder.id).toBe(WASM_BUILD_LOCAL_BUILDER);
    expect(doc.predicate.runDetails.metadata).toEqual({ startedOn: '2023-11-14T22:13:20Z' });
    expect(doc.predicate.buildDefinition.resolvedDependencies[1]).toEqual({
      uri: 'git+https://github.com/org/app',
      digest: { gitCommit: COMMIT },
    });
    // No repository known: the commit alone.
    const bare = parse(provenanceStatement(input({ source: { commit: COMMIT } })));
    expect(bare.predicate.buildDefinition.resolvedDependencies[1]).toEqual({
      name: 'source',
      digest: { gitCommit: COMMIT },
    });
    // Nothing known: only Cargo.lock.
    const none = parse(provenanceStatement(input({ source: undefined, cargoLockSha256: undefined })));
    expect(none.predicate.buildDefinition.resolvedDependencies).toEqual([]);
  });

  it('never writes a token: not from the environment, not from a remote URL with credentials', () => {
    const text = new TextDecoder().decode(
      provenanceStatement(
        input({
          env: actionsEnv({ GITHUB_REPOSITORY: '' }),
          source: { repository: 'https://x-access-token:ghs_remote_secret@github.com/org/app.git', commit: COMMIT },
        }),
      ),
    );
    expect(text).not.toMatch(/ghs_/);
    // GITHUB_REPOSITORY empty: the source is the caller's (git's), with its own commit, not GITHUB_SHA or GITHUB_REF.
    expect(JSON.parse(text).predicate.buildDefinition.resolvedDependencies[1]).toEqual({
      uri: 'git+https://github.com/org/app.git',
      digest: { gitCommit: COMMIT },
    });
  });

  it('gives byte-identical output for the same input, whatever the wall clock', () => {
    vi.useFakeTimers();
    vi.setSystemTime(new Date('2030-01-01T00:00:00Z'));
    const a = provenanceStatement(input({ env: actionsEnv() }));
    vi.setSystemTime(new Date('2031-06-01T12:34:56Z'));
    const b = provenanceStatement(input({ env: actionsEnv() }));
    expect(Buffer.from(a).equals(Buffer.from(b))).toBe(true);
    expect(new TextDecoder().decode(a)).not.toMatch(/2030|2031/);
  });

  it('differs between two runs of the same build only in runDetails.metadata.invocationId', () => {
    const a = parse(provenanceStatement(input({ env: actionsEnv() })));
    const b = parse(
      provenanceStatement(input({ env: actionsEnv({ GITHUB_RUN_ID: '999999', GITHUB_RUN_ATTEMPT: '1' }) })),
    );
    expect(diffPaths(a, b)).toEqual(['$.predicate.runDetails.metadata.invocationId']);
    // And the helper sees a real difference where there is one.
    const c = parse(provenanceStatement(input({ env: actionsEnv(), sourceDateEpoch: 1 })));
    expect(diffPaths(a, c)).toEqual(['$.predicate.runDetails.metadata.startedOn']);
  });

  it('writes canonical JSON: sorted keys, no whitespace', () => {
    const text = new TextDecoder().decode(provenanceStatement(input()));
    expect(text).toBe(canonicalJson(JSON.parse(text)));
    expect(text.startsWith('{"_type":"https://in-toto.io/Statement/v1","predicate":{"buildDefinition":')).toBe(true);
    expect(text).not.toMatch(/\n|": /);
  });

  it('refuses malformed digests, commits, image names and epochs, naming the field and the value', () => {
    expect(() => provenanceStatement(input({ image: { digest: 'sha256:ABC' } }))).toThrow(
      /image\.digest must be sha256:<64 lowercase hex>: got "sha256:ABC"/,
    );
    expect(() => provenanceStatement(input({ module: { name: 'hello', sha256: 'b'.repeat(64) } }))).toThrow(
      /module\.sha256 must be sha256:/,
    );
    expect(() => provenanceStatement(input({ image: { name: 'ghcr.io/org/app:1.0', digest: IMAGE } }))).toThrow(
      /repository without tag or digest .*"ghcr\.io\/org\/app:1\.0"/,
    );
    expect(() => provenanceStatement(input({ image: { name: `ghcr.io/org/app@${IMAGE}`, digest: IMAGE } }))).toThrow(
      /repository without tag or digest/,
    );
    expect(() => provenanceStatement(input({ module: { name: '../x', sha256: MODULE } }))).toThrow(/module\.name/);
    expect(() => provenanceStatement(input({ source: { commit: 'HEAD' } }))).toThrow(
      /40 or 64 lowercase hex: got "HEAD"/,
    );
    const epoch = () => provenanceStatement(input({ sourceDateEpoch: -1 }));
    expect(epoch).toThrow(UserError);
    expect(epoch).toThrow(/SOURCE_DATE_EPOCH must be whole seconds .*got -1/);
    expect(() => provenanceStatement(input({ sourceDateEpoch: 1.5 }))).toThrow(/got 1\.5/);
    // A registry with a port is a repository, not a tag.
    expect(() => provenanceStatement(input({ image: { name: '127.0.0.1:5000/app', digest: IMAGE } }))).not.toThrow();
  });
});

describe('canonicalJson', () => {
  it('sorts keys at every level, drops undefined members, keeps array order', () => {
    expect(canonicalJson({ b: 1, a: { d: [3, 1], c: undefined, b: 'é' } })).toBe('{"a":{"b":"é","d":[3,1]},"b":1}');
    expect(canonicalJson({ '\u00e9': 1, z: 2, A: 3 })).toBe('{"A":3,"z":2,"é":1}');
  });

  it('refuses what JSON cannot hold, naming where', () => {
    expect(() => canonicalJson({ a: [1, Number.NaN] })).toThrow(/\$\.a\[1\] is NaN/);
    expect(() => canonicalJson({ a: new Date(0) })).toThrow(/\$\.a is a Date/);
    expect(() => canonicalJson({ a: [undefined] })).toThrow(/\$\.a\[0\] is undefined/);
    expect(() => canonicalJson(10n)).toThrow(/bigint/);
    const cycle: Record<string, unknown> = {};
    cycle.self = cycle;
    expect(() => canonicalJson(cycle)).toThrow(/nested more than 200/);
  });
});

describe('provenance of the image action alone (a module built in another step)', () => {
  it('claims nothing of the build: image-only build type, only the module path, no byproducts; still schema-valid', () => {
    const { build: _b, tools: _t, optimize: _o, verifyReport: _v, ...rest } = input();
    const doc = parse(provenanceStatement(rest));
    expect(statementProblems(doc)).toEqual([]);
    expect(provenanceProblems(doc)).toEqual([]);
    expect(doc.predicate.buildDefinition).toMatchObject({
      buildType: WASM_BUILD_IMAGE_BUILD_TYPE,
      externalParameters: { module: '/hello.wasm' },
      internalParameters: {},
    });
    expect(Object.keys(doc.predicate.buildDefinition.externalParameters)).toEqual(['module']);
    expect(doc.predicate.runDetails.byproducts).toBeUndefined();
    expect(doc.predicate.buildDefinition.resolvedDependencies.map((d: { name?: string }) => d.name)).toContain(
      'Cargo.lock',
    );
  });
});
