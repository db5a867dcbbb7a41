// The only file of the verify action that reads inputs.
import { readInputs } from '@wasm-build/kit';
import { pathString, verifySchema } from '@wasm-build/pipeline';
import type { z } from 'zod';
import { inputSpec } from '../../definitions.ts';

export const schema = verifySchema.extend({ wasm: pathString() });
export type Inputs = z.output<typeof schema>;

/** Reads and validates every input. @throws UserError naming the input and the bad value, before any work. */
export function getInputs(): Inputs {
  return readInputs(schema, inputSpec('verify'));
}
