import { describe, expect, it } from 'vitest';
import * as z from 'zod';
import { readInputs } from '../src/index.ts';

const schema = z.object({
  on: z.boolean().default(false),
  size: z.number().int().positive().optional(),
  tags: z.array(z.string().regex(/^[a-z]+$/, 'expected lowercase letters')).default([]),
  lines: z.array(z.string()).default([]),
  name: z.string().default('x'),
});
const spec = {
  on: ['on', 'boolean'],
  'max-size': ['size', 'number'],
  tags: ['tags', 'list'],
  lines: ['lines', 'lines'],
  name: ['name', 'string'],
} as const;
const read = (inputs: Record<string, string>) => readInputs(schema, spec, (n) => inputs[n] ?? '');

describe('readInputs', () => {
  it('treats empty as not given and converts each kind', () => {
    expect(read({})).toEqual({ on: false, tags: [], lines: [], name: 'x' });
    expect(read({ on: 'True', 'max-size': '10', tags: 'a, b\nc', lines: 'K=a,b\n\nL=c', name: ' n ' })).toEqual({
      on: true,
      size: 10,
      tags: ['a', 'b', 'c'],
      lines: ['K=a,b', 'L=c'],
      name: 'n',
    });
  });

  it.each([
    [{ on: 'yes' }, 'Invalid input "on": "yes": expected true or false'],
    [{ 'max-size': '1.5' }, 'Invalid input "max-size": "1.5": expected a whole number'],
    [{ 'max-size': '-1' }, 'Invalid input "max-size": "-1": Too small: expected number to be >0'],
    [{ tags: 'ok,BAD' }, 'Invalid input "tags": "BAD": expected lowercase letters'],
  ])('%j fails naming the input and the value', (inputs, message) => {
    expect(() => read(inputs)).toThrow(message);
  });
});
