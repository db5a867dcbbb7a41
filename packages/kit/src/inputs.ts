import * as core from '@actions/core';
import type { z } from 'zod';
import { UserError } from './errors.ts';

/**
 * How an action input's string becomes a value: `string` as it is; `boolean` from YAML 1.2 core booleans (as
 * `core.getBooleanInput`); `number` a whole number; `lines` one item per line; `list` items split on lines and
 * commas. An empty string is "not given" (the schema's default applies).
 */
export type InputKind = 'string' | 'boolean' | 'number' | 'lines' | 'list';

/** Action input name → the schema key it fills and how to convert it, e.g. `{ 'max-size': ['maxSize', 'number'] }`. */
export type InputSpec = Record<string, readonly [key: string, kind: InputKind]>;

const TRUE = ['true', 'True', 'TRUE'];
const FALSE = ['false', 'False', 'FALSE'];

function bad(name: string, value: string, why: string): UserError {
  return new UserError(`Invalid input "${name}": ${JSON.stringify(value)}: ${why}`, {
    fix: `Fix "${name}" in the step's with: block (see the action's README for accepted values)`,
  });
}

function convert(name: string, kind: InputKind, raw: string): unknown {
  const v = raw.trim();
  if (v === '') return undefined;
  switch (kind) {
    case 'string':
      return v;
    case 'boolean':
      if (TRUE.includes(v)) return true;
      if (FALSE.includes(v)) return false;
      throw bad(name, raw, 'expected true or false');
    case 'number':
      if (!/^-?\d+$/.test(v)) throw bad(name, raw, 'expected a whole number');
      return Number(v);
    case 'lines':
      return v
        .split('\n')
        .map((x) => x.trim())
        .filter(Boolean);
    case 'list':
      return v
        .split(/[\n,]/)
        .map((x) => x.trim())
        .filter(Boolean);
  }
}

/**
 * Reads the inputs named in `spec`, converts them, and parses them with `schema`, so that every bad value fails
 * before any work with a message naming the input and the value. `get` defaults to `core.getInput`.
 * @throws UserError `Invalid input "NAME": "VALUE": why`.
 * Source: release-drafter's zod inputs; @actions/core getInput/getBooleanInput semantics.
 */
export function readInputs<S extends z.ZodType>(
  schema: S,
  spec: InputSpec,
  get: (name: string) => string = (n) => core.getInput(n),
): z.output<S> {
  const raw: Record<string, unknown> = {};
  const given: Record<string, string> = {};
  for (const [name, [key, kind]] of Object.entries(spec)) {
    given[key] = get(name);
    raw[key] = convert(name, kind, given[key]);
  }
  const r = schema.safeParse(raw);
  if (r.success) return r.data;
  const issue = r.error.issues[0];
  const key = String(issue.path[0]);
  const name = Object.entries(spec).find(([, [k]]) => k === key)?.[0] ?? key;
  const items = raw[key];
  const value = Array.isArray(items) && typeof issue.path[1] === 'number' ? String(items[issue.path[1]]) : given[key];
  throw bad(name, value ?? '', issue.message);
}
