// The only file of the image action that reads inputs.
import * as core from '@actions/core';
import { readInputs } from '@wasm-build/kit';
import { pathString, pipelineSchema } from '@wasm-build/pipeline';
import * as z from 'zod';
import { inputSpec } from '../../definitions.ts';

export const schema = pipelineSchema
  .pick({
    image: true,
    annotations: true,
    labels: true,
    insecure: true,
    manifestPath: true,
    backend: true,
    tags: true,
    username: true,
    password: true,
    orasVersion: true,
    provenance: true,
    sbom: true,
  })
  .extend({
    wasm: pathString(),
    name: z
      .string()
      .regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, 'expected letters, digits, ".", "_" or "-" (no path, no .wasm)')
      // /<name>.wasm must fit NAME_MAX (255 bytes), else writing it fails with ENAMETOOLONG.
      .max(250, 'expected a name of at most 250 characters')
      .optional(),
    layoutDir: pathString().default('.wasm-build/oci-layout'),
  });
export type Inputs = z.output<typeof schema>;

/**
 * Reads and validates every input; the password is masked before anything can print it.
 * @throws UserError naming the input and the bad value, before any work.
 */
export function getInputs(): Inputs {
  const password = core.getInput('password');
  if (password) core.setSecret(password);
  return readInputs(schema, inputSpec('image'));
}
