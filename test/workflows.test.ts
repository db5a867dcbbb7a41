// Safety and drift checks over every workflow, template, action.yml and README snippet: third-party actions pinned
// by SHA, least permissions per job, no expression interpolated into a run: script, and uses: of our own actions
// passing only inputs the action declares, with every required one given.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { ROOT } from './helpers/run-action.ts';

type Step = { uses?: string; run?: string; id?: string; with?: Record<string, unknown>; env?: Record<string, string> };
type Job = {
  permissions?: unknown;
  steps?: Step[];
  uses?: string;
  with?: Record<string, unknown>;
  needs?: string | string[];
  if?: string;
  outputs?: Record<string, string>;
};
type Doc = {
  on?: {
    workflow_call?: {
      inputs?: Record<string, { required?: boolean; default?: unknown; type?: string }>;
      outputs?: Record<string, { value: string }>;
    };
  };
  jobs?: Record<string, Job>;
  runs?: { steps?: Step[] };
};

/** `${{ X }}`, written without a literal placeholder in a string. */
const expr = (x: string) => ['$', '{{ ', x, ' }}'].join('');

const ymlIn = (dir: string) =>
  existsSync(join(ROOT, dir))
    ? readdirSync(join(ROOT, dir))
        .filter((f) => /\.ya?ml$/.test(f))
        .map((f) => join(dir, f))
    : [];
const files = [
  ...ymlIn('.github/workflows'),
  ...ymlIn('action-templates'),
  'action.yml',
  ...readdirSync(join(ROOT, 'actions'))
    .map((d) => join('actions', d, 'action.yml'))
    .filter((f) => existsSync(join(ROOT, f))),
];
const docs = files.map((f) => [f, parse(readFileSync(join(ROOT, f), 'utf8')) as Doc] as const);
// README snippets: every ```yaml block, read as a list of steps, a job's fragment with steps, or a whole workflow.
const README = readFileSync(join(ROOT, 'README.md'), 'utf8');
const blocks = [...README.matchAll(/```yaml\n([\s\S]*?)```/g)].map((m) => m[1]);
const snippets = blocks.map((b) => parse(b) as Step[] | (Doc & { steps?: Step[] }));
const snippetDocs = snippets.filter((x): x is Doc => !Array.isArray(x) && x.jobs !== undefined);
const allDocs = [...docs, ...snippetDocs.map((d, i) => [`README.md snippet ${i + 1}`, d] as const)];
const allJobs = allDocs.flatMap(([f, d]) =>
  Object.entries(d.jobs ?? {}).map(([name, j]) => [`${f}: ${name}`, j] as const),
);

function steps(d: Doc): Step[] {
  return [...Object.values(d.jobs ?? {}).flatMap((j) => j.steps ?? []), ...(d.runs?.steps ?? [])];
}
const allSteps = [
  ...allDocs.flatMap(([, d]) => steps(d)),
  ...snippets.flatMap((x) => (Array.isArray(x) ? x : x.jobs ? [] : (x.steps ?? []))),
];

/** `./.github/workflows/X.yml` or `org/wasm-build/.github/workflows/X.yml@v1` → that file in this repo. */
function ownWorkflow(uses: string): string | undefined {
  const m = /^(?:\.\/|[\w.-]+\/wasm-build\/)(\.github\/workflows\/[\w.-]+\.ya?ml)(?:@.+)?$/.exec(uses);
  return m?.[1];
}

/** A step that runs our CLI from a checkout (`node …/bin/wasm-build.js` or `tsx …/packages/pipeline/src/cli.ts`). */
const cliRun = (st: Step) => /(bin\/wasm-build\.js|packages\/pipeline\/src\/cli\.ts)\b/.test(st.run ?? '');
/** A CLI step running `wasm-build promote` (read back, then tag). */
const cliPromote = (st: Step) => cliRun(st) && /(\(|\.(js|ts)\s+)promote\b/.test(st.run ?? '');

/** A step that pushes an attestation to the image's registry (`actions/attest-build-provenance`, push-to-registry). */
const attestsToRegistry = (st: Step) =>
  !!st.uses?.startsWith('actions/attest-build-provenance@') && String(st.with?.['push-to-registry']) === 'true';

/**
 * A job pushes when it runs the root or image action, or our CLI, with an image, calls the release workflow, or
 * pushes an attestation to the registry.
 */
function pushes(j: Job): boolean {
  if (j.uses && ownWorkflow(j.uses)?.endsWith('release.yml')) return true;
  return (j.steps ?? []).some((st) => {
    if (attestsToRegistry(st)) return true;
    const file = st.uses && ownAction(st.uses);
    if (cliRun(st)) return /--image\b/.test(st.run ?? '');
    return (file === 'action.yml' || file === 'actions/image/action.yml') && !!st.with?.image;
  });
}

/**
 * A job writes a tag when it runs the root or image action with an image (they tag after the read-back or the smoke
 * test), our CLI's pipeline with an image and without `--no-tag`, or `wasm-build promote`.
 */
function writesTags(j: Job): boolean {
  return (j.steps ?? []).some((st) => {
    const file = st.uses && ownAction(st.uses);
    if (cliPromote(st)) return true;
    if (cliRun(st)) return /--image\b/.test(st.run ?? '') && !/--no-tag\b/.test(st.run ?? '');
    return (file === 'action.yml' || file === 'actions/image/action.yml') && !!st.with?.image;
  });
}

/** The job names `name` needs, directly or through the jobs it needs. */
function needsOf(jobs: Record<string, Job & { needs?: string | string[] }>, name: string, seen = new Set<string>()) {
  const direct = jobs[name]?.needs;
  for (const n of typeof direct === 'string' ? [direct] : (direct ?? [])) {
    if (seen.has(n)) continue;
    seen.add(n);
    needsOf(jobs, n, seen);
  }
  return seen;
}

/**
 * A job builds a crate when it runs the root action or the build action (ours, or `./` and `./actions/build` in this
 * repo) or cargo itself: cargo runs every dependency's build.rs, which can read a token left in `.git/config`.
 */
function buildsCrate(j: Job): boolean {
  return (j.steps ?? []).some((st) => {
    const file = st.uses && (ownAction(st.uses) ?? localAction(st.uses));
    return (
      file === 'action.yml' ||
      file === 'actions/build/action.yml' ||
      (cliRun(st) && !cliPromote(st)) ||
      /(^|[\s;&|(])cargo\s/m.test(st.run ?? '')
    );
  });
}

/** `./` or `./actions/NAME` → the action.yml it names in this repo. */
function localAction(uses: string): string | undefined {
  const m = /^\.\/(?:actions\/([\w-]+))?\/?$/.exec(uses);
  if (!m) return undefined;
  return m[1] ? `actions/${m[1]}/action.yml` : 'action.yml';
}

/** `org/wasm-build[/actions/NAME]@v1`, or `./.wasm-build[/actions/NAME]` (this repository checked out at the
 * reusable workflow's own commit) → the action.yml it names in this repo. */
function ownAction(uses: string): string | undefined {
  const m = /^(?:[\w.-]+\/wasm-build|\.\/\.wasm-build)(?:\/actions\/([\w-]+))?(?:@|\/?$)/.exec(uses);
  if (!m) return undefined;
  return m[1] ? `actions/${m[1]}/action.yml` : 'action.yml';
}

describe('workflows, templates and action.yml files', () => {
  it('finds the files to check', () => {
    expect(files).toEqual(
      expect.arrayContaining([
        '.github/workflows/ci.yml',
        '.github/workflows/e2e.yml',
        '.github/workflows/release.yml',
        '.github/workflows/pr-check.yml',
        '.github/workflows/release-tag.yml',
        'action-templates/wasm-pr-check.yml',
        'action-templates/wasm-release.yml',
      ]),
    );
    expect(files).toContain('action.yml');
    expect(allSteps.some((s) => s.uses && ownAction(s.uses))).toBe(true);
  });

  it('pins every third-party action by a full 40-hex SHA', () => {
    const loose = allSteps
      .map((s) => s.uses)
      .filter((u): u is string => !!u && !u.startsWith('./') && !ownAction(u))
      .filter((u) => !/@[0-9a-f]{40}$/.test(u));
    expect(loose).toEqual([]);
  });

  it('gives every workflow job its permissions', () => {
    expect(allJobs.filter(([, j]) => j.permissions === undefined).map(([name]) => name)).toEqual([]);
  });

  it('grants packages: write only to jobs that push', () => {
    const write = (j: Job) => (j.permissions as Record<string, string> | undefined)?.packages === 'write';
    expect(allJobs.filter(([, j]) => write(j) && !pushes(j)).map(([n]) => `${n}: packages: write but no push`)).toEqual(
      [],
    );
    expect(
      allJobs.filter(([, j]) => pushes(j) && !write(j)).map(([n]) => `${n}: pushes without packages: write`),
    ).toEqual([]);
  });

  it('checks out with persist-credentials: false in every job that builds a crate', () => {
    const building = allJobs.filter(([, j]) => buildsCrate(j));
    expect(building.map(([n]) => n)).toEqual(
      expect.arrayContaining([
        '.github/workflows/release.yml: build',
        '.github/workflows/pr-check.yml: build',
        '.github/workflows/e2e.yml: root-action',
      ]),
    );
    const persisting = building.flatMap(([name, j]) =>
      (j.steps ?? [])
        .filter((st) => st.uses?.startsWith('actions/checkout@'))
        .filter((st) => st.with?.['persist-credentials'] !== false)
        .map(() => `${name}: actions/checkout keeps the token in .git/config`),
    );
    expect(persisting).toEqual([]);
  });

  it('calls our reusable workflows with only declared inputs, and every required one', () => {
    const problems: string[] = [];
    let calls = 0;
    for (const [name, j] of allJobs) {
      const file = j.uses && ownWorkflow(j.uses);
      if (!file) continue;
      calls++;
      const declared = (parse(readFileSync(join(ROOT, file), 'utf8')) as Doc).on?.workflow_call?.inputs ?? {};
      for (const k of Object.keys(j.with ?? {}))
        if (!(k in declared)) problems.push(`${name}: ${file} has no input ${k}`);
      for (const [k, i] of Object.entries(declared))
        if (i.required && !(k in (j.with ?? {}))) problems.push(`${name}: required input ${k} of ${file} missing`);
    }
    expect(calls).toBeGreaterThanOrEqual(3);
    expect(problems).toEqual([]);
  });

  it.each([
    'wasm-pr-check',
    'wasm-release',
  ])('template %s: properties, $default-branch, and the README shows it as it is', (t) => {
    const yml = readFileSync(join(ROOT, 'action-templates', `${t}.yml`), 'utf8');
    const props = JSON.parse(readFileSync(join(ROOT, 'action-templates', `${t}.properties.json`), 'utf8'));
    expect(Object.keys(props).sort()).toEqual(['categories', 'description', 'filePatterns', 'iconName', 'name']);
    expect(props.filePatterns).toEqual(['Cargo.toml']);
    expect(props.categories).toContain('WebAssembly');
    expect(yml).toContain('[$default-branch]');
    expect(blocks).toContain(yml);
  });

  it('never interpolates inputs or event fields into a run: script', () => {
    const bad = allSteps.filter((s) => s.run && /\$\{\{\s*(inputs\.|github\.event\.)/.test(s.run)).map((s) => s.run);
    expect(bad).toEqual([]);
  });

  it('passes our actions only declared inputs, and every required one', () => {
    const problems: string[] = [];
    for (const s of allSteps) {
      const file = s.uses && ownAction(s.uses);
      if (!file) continue;
      const declared = (
        parse(readFileSync(join(ROOT, file), 'utf8')) as { inputs: Record<string, { required?: boolean }> }
      ).inputs;
      for (const k of Object.keys(s.with ?? {})) if (!(k in declared)) problems.push(`${s.uses}: unknown input ${k}`);
      for (const [k, i] of Object.entries(declared))
        if (i.required && !(k in (s.with ?? {}))) problems.push(`${s.uses}: required input ${k} missing`);
    }
    expect(problems).toEqual([]);
  });
});

describe('release.yml: tags only what passed (issue 14, item 7)', () => {
  const release = docs.find(([f]) => f === '.github/workflows/release.yml')![1];
  const jobs = release.jobs ?? {};
  const smokeJobs = Object.entries(jobs)
    .filter(([, j]) => (j.steps ?? []).some((st) => st.uses && ownAction(st.uses) === 'actions/smoke-test/action.yml'))
    .map(([n]) => n);

  it('has a promote job that is the only job writing a tag', () => {
    expect(Object.keys(jobs)).toContain('promote');
    expect(smokeJobs.length).toBeGreaterThan(0);
    const writers = Object.entries(jobs)
      .filter(([, j]) => writesTags(j))
      .map(([n]) => n);
    expect(writers).toEqual(['promote']);
    // The build job still pushes, by digest only.
    expect(pushes(jobs.build)).toBe(true);
    expect(writesTags(jobs.build)).toBe(false);
  });

  it('runs no job that writes a tag before every smoke job: promote needs them all, and the build', () => {
    for (const [name, j] of Object.entries(jobs)) {
      if (!writesTags(j)) continue;
      const before = needsOf(jobs, name);
      for (const smoke of smokeJobs) expect(before, `${name} must need ${smoke}`).toContain(smoke);
      expect(before).toContain('build');
      // No `if: always()`/`failure()`: a failed or cancelled smoke job must skip it.
      expect(j.if ?? '').not.toMatch(/always\(\)|failure\(\)|cancelled\(\)/);
    }
  });

  it('smoke-tests the pushed digest, and promotes that digest with the read-back inputs', () => {
    const smoke = (jobs['smoke-test'].steps ?? []).find((st) => st.uses && ownAction(st.uses))!;
    expect(smoke.with?.image).toBe(expr('needs.build.outputs.image-ref'));
    const promote = (jobs.promote.steps ?? []).find(cliPromote) as Step & { env?: Record<string, string> };
    expect(promote.env).toMatchObject({
      IMAGE_REF: expr('needs.build.outputs.image-ref'),
      MODULE_SHA256: expr('needs.build.outputs.module-sha256'),
      ENTRYPOINT: expr('needs.build.outputs.entrypoint'),
    });
    expect(promote.run).toMatch(/--module-sha256 "\$MODULE_SHA256" --entrypoint "\$ENTRYPOINT"/);
  });

  it('outputs digest, image-ref and tags from promote', () => {
    const outputs = release.on?.workflow_call?.outputs ?? {};
    expect(Object.keys(outputs).sort()).toEqual(['digest', 'image-ref', 'tags']);
    for (const o of Object.values(outputs)) expect(o.value).toMatch(/^\$\{\{ jobs\.promote\.outputs\.[\w-]+ \}\}$/);
  });
});

describe('reusable workflows run the actions of their own commit (issue 14, item 8)', () => {
  const reusable = docs.filter(([, d]) => d.on?.workflow_call !== undefined);

  it('finds the reusable workflows', () => {
    expect(reusable.map(([f]) => f).sort()).toEqual([
      '.github/workflows/pr-check.yml',
      '.github/workflows/release.yml',
    ]);
  });

  it('never refers to this repository at a ref (no org/wasm-build…@v1 in a step or a job)', () => {
    const byRef = reusable.flatMap(([f, d]) =>
      [...steps(d).map((st) => st.uses), ...Object.values(d.jobs ?? {}).map((j) => j.uses)]
        .filter((u): u is string => !!u && /^[\w.-]+\/wasm-build(\/|@)/.test(u))
        .map((u) => `${f}: ${u}`),
    );
    expect(byRef).toEqual([]);
  });

  it('checks out wasm-build at job.workflow_sha of job.workflow_repository before any ./.wasm-build step', () => {
    const problems: string[] = [];
    let local = 0;
    for (const [f, d] of reusable) {
      for (const [name, j] of Object.entries(d.jobs ?? {})) {
        const st = j.steps ?? [];
        const uses = st.findIndex(
          (s) => (s.uses?.startsWith('./.wasm-build') ?? false) || /\.wasm-build\/(bin|packages)\//.test(s.run ?? ''),
        );
        if (uses < 0) continue;
        local++;
        // The job context names the workflow file that defines the job (the github context names the caller's).
        const self = st.findIndex(
          (s) =>
            s.id === 'self' &&
            s.env?.WORKFLOW_SHA === expr('job.workflow_sha') &&
            s.env?.WORKFLOW_REPOSITORY === expr('job.workflow_repository'),
        );
        const checkout = st.findIndex(
          (s) =>
            s.uses?.startsWith('actions/checkout@') &&
            s.with?.path === '.wasm-build' &&
            s.with?.ref === expr('steps.self.outputs.sha') &&
            s.with?.repository === expr('steps.self.outputs.repository') &&
            s.with?.['persist-credentials'] === false,
        );
        if (self < 0 || checkout < 0 || !(self < checkout && checkout < uses))
          problems.push(`${f}: ${name} runs ./.wasm-build without checking out its own commit first`);
      }
    }
    expect(local).toBeGreaterThanOrEqual(4);
    expect(problems).toEqual([]);
  });

  it('is called with id-token: write only where the called workflow signs (release.yml), by every caller here', () => {
    const callers = allJobs.filter(([, j]) => j.uses && ownWorkflow(j.uses));
    expect(callers.length).toBeGreaterThanOrEqual(3);
    const wrong = callers
      .filter(
        ([, j]) =>
          ((j.permissions as Record<string, string> | undefined)?.['id-token'] === 'write') !==
          /release\.yml@/.test(j.uses ?? ''),
      )
      .map(([n]) => n);
    expect(wrong).toEqual([]);
  });
});

describe('release.yml: GitHub build provenance for the promoted digest (issue 16, item 4)', () => {
  const RELEASE = '.github/workflows/release.yml';
  const release = docs.find(([f]) => f === RELEASE)![1];
  const text = readFileSync(join(ROOT, RELEASE), 'utf8');
  const jobs = release.jobs ?? {};
  const perms = (j: Job) => (j.permissions ?? {}) as Record<string, string>;
  const attestStep = (st: Step) => !!st.uses?.startsWith('actions/attest-build-provenance@');
  const attesting = Object.entries(jobs).filter(([, j]) => (j.steps ?? []).some(attestStep));

  it('has an attest input, boolean, on by default', () => {
    expect(release.on?.workflow_call?.inputs?.attest).toMatchObject({ type: 'boolean', default: true });
  });

  it('attests in exactly one job, with actions/attest-build-provenance pinned by a full SHA and its version', () => {
    expect(attesting.map(([n]) => n)).toEqual(['attest']);
    const uses = text.match(/uses: actions\/attest-build-provenance@\S+(?: #.*)?/g) ?? [];
    expect(uses).toHaveLength(1);
    expect(uses[0]).toMatch(/^uses: actions\/attest-build-provenance@[0-9a-f]{40} # v\d+\.\d+\.\d+$/);
  });

  it('attests the promoted digest under the image repository, and pushes it to the registry', () => {
    const job = jobs.attest;
    const st = (job.steps ?? []).find(attestStep)!;
    expect(st.with).toEqual({
      'subject-name': expr('steps.image.outputs.name'),
      'subject-digest': expr('needs.build.outputs.digest'),
      'push-to-registry': true,
    });
    // The repository is the pushed reference without its digest, through env (never interpolated into the script).
    const image = (job.steps ?? []).find((s) => s.id === 'image')!;
    expect(image.env).toEqual({ IMAGE_REF: expr('needs.build.outputs.image-ref') });
    expect(image.run).toMatch(/name=\$\{IMAGE_REF%@\*\}/);
    // After promote: only a digest that passed every smoke test and got its tags is attested.
    expect(needsOf(jobs, 'attest')).toEqual(new Set(['build', 'promote', 'smoke-test']));
    // The registry login comes before the push of the attestation.
    const steps = job.steps ?? [];
    const login = steps.findIndex((s) => s.uses?.startsWith('docker/login-action@'));
    expect(login).toBeGreaterThanOrEqual(0);
    expect(login).toBeLessThan(steps.findIndex(attestStep));
  });

  it('runs the attest job only when inputs.attest, and only after promote succeeded', () => {
    expect(jobs.attest.if).toBe('inputs.attest');
    // No always()/failure()/cancelled(): a failed promote skips it.
    expect(jobs.attest.if).not.toMatch(/always\(\)|failure\(\)|cancelled\(\)/);
  });

  it('grants id-token: write and attestations: write only to the attesting job', () => {
    expect(perms(jobs.attest)).toEqual({ 'id-token': 'write', attestations: 'write', packages: 'write' });
    const attestationsWrite = allJobs.filter(([, j]) => perms(j).attestations === 'write' && !j.uses).map(([n]) => n);
    expect(attestationsWrite).toEqual([`${RELEASE}: attest`]);
    // id-token: write mints tokens: of every job that runs steps, in any workflow here, only the attest job has it.
    const idToken = allJobs.filter(([, j]) => perms(j)['id-token'] === 'write' && !j.uses).map(([n]) => n);
    expect(idToken).toEqual([`${RELEASE}: attest`]);
    expect(allJobs.filter(([, j]) => (j.steps ?? []).some(attestStep)).map(([n]) => n)).toEqual([`${RELEASE}: attest`]);
  });

  it('keeps the attesting job free of anything but the login and the pinned action: no checkout, no build, no CLI', () => {
    const steps = jobs.attest.steps ?? [];
    expect(steps.filter((s) => s.uses?.startsWith('actions/checkout@'))).toEqual([]);
    expect(steps.filter((s) => cliRun(s) || /(^|[\s;&|(])(cargo|npm|node|npx)\s/m.test(s.run ?? ''))).toEqual([]);
    expect(steps.map((s) => s.uses?.split('@')[0] ?? `run:${s.id}`)).toEqual([
      'run:image',
      'docker/login-action',
      'actions/attest-build-provenance',
    ]);
  });

  it('keeps the workflow-level permissions minimal: contents: read', () => {
    expect((release as Doc & { permissions?: unknown }).permissions).toEqual({ contents: 'read' });
  });

  it('is called with attestations: write by every caller here (templates, README): GitHub checks it at start-up', () => {
    const callers = allJobs.filter(([, j]) => j.uses && ownWorkflow(j.uses)?.endsWith('release.yml'));
    expect(callers.length).toBeGreaterThanOrEqual(1);
    const missing = callers.filter(([, j]) => perms(j).attestations !== 'write').map(([n]) => n);
    expect(missing).toEqual([]);
  });

  it('reports the attest result in the summary, and fails the release when the attestation failed', () => {
    expect(needsOf(jobs, 'summary')).toContain('attest');
    const st = (jobs.summary.steps ?? [])[0];
    expect(st.env?.ATTEST).toBe(expr('needs.attest.result'));
    expect(st.run).toMatch(/case "\$ATTEST" in success \| skipped\) ;; \*\) exit 1 ;; esac/);
  });
});
