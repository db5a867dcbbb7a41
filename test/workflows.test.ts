// Safety and drift checks over every workflow, template, action.yml and README snippet: third-party actions pinned
// by SHA, least permissions per job, no expression interpolated into a run: script, and uses: of our own actions
// passing only inputs the action declares, with every required one given.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { ROOT } from './helpers/run-action.ts';

type Step = { uses?: string; run?: string; with?: Record<string, unknown> };
type Doc = {
  jobs?: Record<string, { permissions?: unknown; steps?: Step[]; uses?: string; with?: Record<string, unknown> }>;
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
// README snippets: every ```yaml block, read as a list of steps.
const snippets = [...readFileSync(join(ROOT, 'README.md'), 'utf8').matchAll(/```yaml\n([\s\S]*?)```/g)].map(
  (m) => parse(m[1]) as Step[] | { steps?: Step[] },
);

function steps(d: Doc): Step[] {
  return [...Object.values(d.jobs ?? {}).flatMap((j) => j.steps ?? []), ...(d.runs?.steps ?? [])];
}
const allSteps = [
  ...docs.flatMap(([, d]) => steps(d)),
  ...snippets.flatMap((s) => (Array.isArray(s) ? s : (s.steps ?? []))),
];

/** `org/wasm-build[/actions/NAME]@v1` → the action.yml it names in this repo. */
function ownAction(uses: string): string | undefined {
  const m = /^[\w.-]+\/wasm-build(?:\/actions\/([\w-]+))?@/.exec(uses);
  if (!m) return undefined;
  return m[1] ? `actions/${m[1]}/action.yml` : 'action.yml';
}

describe('workflows, templates and action.yml files', () => {
  it('finds the files to check', () => {
    expect(files).toContain('.github/workflows/ci.yml');
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
    const missing = docs.flatMap(([f, d]) =>
      Object.entries(d.jobs ?? {})
        .filter(([, j]) => j.permissions === undefined)
        .map(([name]) => `${f}: ${name}`),
    );
    expect(missing).toEqual([]);
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
