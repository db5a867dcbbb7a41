import * as core from '@actions/core';
import type { z } from 'zod';
import { UserError } from './errors.ts';

/**
 * How an action input's string becomes a value: `string` as it is; `boolean` from YAML 1.2 core booleans (as
 * `core.getBooleanInput`); `number` a whole number of at most 15 digits (the schema bounds it further); `lines` one
 * item per line; `list` items split on lines and commas. An empty string is "not given" (the schema's default applies).
 */
export type InputKind = 'string' | 'boolean' | 'number' | 'lines' | 'list';

/** Action input name → the schema key it fills and how to convert it, e.g. `{ 'max-size': ['maxSize', 'number'] }`. */
export type InputSpec = Record<string, readonly [key: string, kind: InputKind]>;

const TRUE = ['true', 'True', 'TRUE'];
const FALSE = ['false', 'False', 'FALSE'];

/** Digits a whole number may have: every 15-digit number is exact in a JS number (MAX_SAFE_INTEGER has 16). */
const MAX_DIGITS = 15;

/** Linux's PATH_MAX less the terminating NUL, and NAME_MAX: longer paths fail with ENAMETOOLONG. */
export const PATH_MAX_BYTES = 4095;
export const NAME_MAX_BYTES = 255;

/**
 * Why a path given as input cannot be used, before anything touches the file system: empty, a NUL byte, longer than
 * PATH_MAX (4095 bytes) or a component longer than NAME_MAX (255 bytes), which Linux refuses with ENAMETOOLONG.
 * Returns undefined for a usable path. Lengths are UTF-8 bytes, as the kernel counts them.
 * Source: Linux limits.h (PATH_MAX 4096 with the NUL, NAME_MAX 255).
 */
export function pathProblem(path: string): string | undefined {
  if (path === '') return 'expected a path';
  if (path.includes('\0')) return 'a path cannot hold a NUL byte';
  const bytes = Buffer.byteLength(path);
  if (bytes > PATH_MAX_BYTES) return `path is ${bytes} bytes long; at most ${PATH_MAX_BYTES} (PATH_MAX)`;
  const long = path.split('/').find((c) => Buffer.byteLength(c) > NAME_MAX_BYTES);
  if (long !== undefined) {
    return `path component "${long.slice(0, 24)}…" is ${Buffer.byteLength(long)} bytes long; at most ${NAME_MAX_BYTES} (NAME_MAX)`;
  }
  return undefined;
}

function bad(name: string, value: string, why: string): UserError {
  return new UserError(`Invalid input "${name}": ${JSON.stringify(value)}: ${why}`, {
    fix: `Fix "${name}" in the step's with: block (see the action's README for accepted values)`,
  });
}

/**
 * An input's string as `kind` reads it: trimmed; empty is "not given" (undefined); `boolean` true/false (YAML 1.2
 * core, as the runner's getBooleanInput); `number` a whole number of at most 15 digits; `lines` one item per line;
 * `list` split on lines and commas. `refuse(why)` makes the error for a value that is not of its kind, so that each
 * front door (action inputs, CLI flags, environment variables) names the value its own way.
 * @throws what `refuse` returns.
 */
export function convertInput(kind: InputKind, raw: string, refuse: (why: string) => Error): unknown {
  const v = raw.trim();
  if (v === '') return undefined;
  switch (kind) {
    case 'string':
      return v;
    case 'boolean':
      if (TRUE.includes(v)) return true;
      if (FALSE.includes(v)) return false;
      throw refuse('expected true or false');
    case 'number':
      if (!/^-?\d+$/.test(v)) throw refuse('expected a whole number');
      if (v.replace(/^-/, '').length > MAX_DIGITS)
        throw refuse(`expected a whole number (at most ${MAX_DIGITS} digits)`);
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

const convert = (name: string, kind: InputKind, raw: string): unknown =>
  convertInput(kind, raw, (why) => bad(name, raw, why));

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
