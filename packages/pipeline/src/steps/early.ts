// Questions later stages ask that depend on nothing the build makes. Asked once setup is done, they are answered
// while the crate builds, instead of one after another between the stages.
import {
  type BackendChoice,
  chooseBackend,
  machineProbe,
  type PushBackend,
  type RegistryClient,
} from '@wasm-build/oci';
import { type WasmOptInfo, wasmOptInfo } from '@wasm-build/toolchain';
import { type PushStepOptions, prepareRegistry, type SourceFacts, sourceFacts } from './image.ts';

/** The answers, each a promise for the stage that needs it; absent when that stage will not ask. */
export interface EarlyAnswers {
  /** For the image stage: `sourceFacts` of the crate (git or GITHUB_*, and the creation time). */
  source: Promise<SourceFacts>;
  /** For the optimize stage: `wasmOptInfo` of the wasm-opt it will run. */
  wasmOpt?: Promise<WasmOptInfo>;
  /** For the push stage: `chooseBackend` (with `auto`, the machine's probe of docker buildx and oras). */
  backend?: Promise<BackendChoice>;
  /** For the push stage: `prepareRegistry`, the registry's login and Node's HTTP client loaded (tens of ms). */
  registry?: Promise<RegistryClient>;
}

/**
 * Starts the questions: the crate's source facts always; wasm-opt's version when `wasmOpt` names the binary the
 * optimize stage will run; the push backend, and the registry's login (stopped by `signal`), when there is an image
 * to push. The processes start first, the login last: its first request loads Node's HTTP client on this thread. A
 * question that fails is not reported here: the stage that awaits the answer throws its error, as if it had asked
 * itself, and an answer no stage awaits (an earlier stage failed) is dropped.
 */
export function askEarly(o: {
  manifestPath: string;
  wasmOpt?: string;
  push?: { backend: PushBackend | 'auto' } & Pick<PushStepOptions, 'ref' | 'insecure' | 'username' | 'password'>;
  signal?: AbortSignal;
}): EarlyAnswers {
  const answers: EarlyAnswers = {
    source: sourceFacts(o.manifestPath),
    wasmOpt: o.wasmOpt === undefined ? undefined : wasmOptInfo(o.wasmOpt),
    backend: o.push && chooseBackend(o.push.backend, machineProbe()),
  };
  if (o.push) answers.registry = prepareRegistry(o.push, o.signal);
  // Handled here so that a failure no stage reaches is no unhandled rejection; the stage's await still throws it.
  for (const p of Object.values(answers)) p?.catch(() => {});
  return answers;
}
