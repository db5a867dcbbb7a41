// The child of pullInChild (pull-child.ts): pulls a job's image, then reads its entrypoint and unpacks it when asked,
// and prints one JSON line with each step's outcome and the peak RSS. Run only bundled, by pullInChild.
import { errorLine } from '@wasm-build/kit';
import { entrypointModule, parseImageRef, pullImage, RegistryClient, type RunnableImage } from '@wasm-build/oci';
import { unpackLayers } from '@wasm-build/smoke';
import type { PullJob, PullOutcome, StepOutcome } from './pull-child.ts';

async function step(run: () => Promise<unknown>): Promise<StepOutcome> {
  try {
    await run();
    return { ok: true };
  } catch (e) {
    return { ok: false, name: (e as Error).name, message: (e as Error).message, line: errorLine(e) };
  }
}

async function main(job: PullJob): Promise<Omit<PullOutcome, 'code' | 'output'>> {
  const ref = parseImageRef(job.image);
  let img: RunnableImage | undefined;
  const steps: PullOutcome['steps'] = {};
  steps.pull = await step(async () => {
    img = await pullImage(ref, new RegistryClient(ref, job.options));
  });
  if (img && job.entrypoint) steps.entrypoint = await step(() => entrypointModule(img!));
  if (img && job.unpackTo) steps.unpack = await step(() => unpackLayers(img!.layers, job.unpackTo!));
  return { steps, digest: img?.digest, maxRssKiB: process.resourceUsage().maxRSS };
}

void main(JSON.parse(process.argv[2] ?? '{}') as PullJob).then((r) => {
  process.stdout.write(`${JSON.stringify(r)}\n`);
});
