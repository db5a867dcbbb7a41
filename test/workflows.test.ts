// Safety and drift checks over every workflow, template, action.yml and README snippet: third-party actions pinned
// by SHA, least permissions per job, no expression interpolated into a run: script, and uses: of our own actions
// passing only inputs the action declares, with every required one given.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { ROOT } from './helpers/run-action.ts';

type Step = { uses?: string; run?: string; with?: Record<string, unknown> };
type Job = { permissions?: unknown; steps?: Step[]; uses?: string; with?: Record<string, unknown> };
type Doc = {
  on?: { workflow_call?: { inputs?: Record<string, { required?: boolean; default?: unknown }> } };
  jobs?: Record<string, Job>;
  runs?: { steps?: Step[] };
};

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

/** A job pushes when it runs the root or image action with an image, or calls the reusable release workflow. */
function pushes(j: Job): boolean {
  if (j.uses && ownWorkflow(j.uses)?.endsWith('release.yml')) return true;
  return (j.steps ?? []).some((st) => {
    const file = st.uses && ownAction(st.uses);
    return (file === 'action.yml' || file === 'actions/image/action.yml') && !!st.with?.image;
  });
}

/**
 * A job builds a crate when it runs the root action or the build action (ours, or `./` and `./actions/build` in this
 * repo) or cargo itself: cargo runs every dependency's build.rs, which can read a token left in `.git/config`.
 */
function buildsCrate(j: Job): boolean {
  return (j.steps ?? []).some((st) => {
    const file = st.uses && (ownAction(st.uses) ?? localAction(st.uses));
    return file === 'action.yml' || file === 'actions/build/action.yml' || /(^|[\s;&|(])cargo\s/m.test(st.run ?? '');
  });
}

/** `./` or `./actions/NAME` → the action.yml it names in this repo. */
function localAction(uses: string): string | undefined {
  const m = /^\.\/(?:actions\/([\w-]+))?\/?$/.exec(uses);
  if (!m) return undefined;
  return m[1] ? `actions/${m[1]}/action.yml` : 'action.yml';
}

/** `org/wasm-build[/actions/NAME]@v1` → the action.yml it names in this repo. */
function ownAction(uses: string): string | undefined {
  const m = /^[\w.-]+\/wasm-build(?:\/actions\/([\w-]+))?@/.exec(uses);
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
