// The only file of the root action that reads inputs.
import { readInputs } from '@wasm-build/kit';
import { binaryenSchema, pipelineSchema } from '@wasm-build/pipeline';
import { z } from 'zod';
import { inputSpec } from '../../definitions.ts';

export const schema = pipelineSchema.extend(binaryenSchema.shape).extend({ cache: z.boolean().default(true) });
export type Inputs = z.output<typeof schema>;

/** Reads and validates every input. @throws UserError naming the input and the bad value, before any work. */
export function getInputs(): Inputs {
  return readInputs(schema, inputSpec('wasm-build'));
}
