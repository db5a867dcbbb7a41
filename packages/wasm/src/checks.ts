import { FEATURES, type Feature, type VerifyReport } from './report.ts';

export interface CheckOptions {
  /** Features the module must use, e.g. ['threads']. */
  require?: Feature[];
  /** Features the module must not use, e.g. ['simd'] for a runtime without SIMD. */
  forbid?: Feature[];
  /** Largest acceptable module, bytes. */
  maxSize?: number;
  /**
   * Path the image will run the module as (`process.args[0]`, e.g. `/hello.wasm`). crun's compat-smart variant
   * runs the wasm handler only when it ends in `.wasm` or `.wat`.
   */
  entrypoint?: string;
  /**
   * The threads target the module was built for (e.g. `wasm32-wasip1-threads`), when it was: its output must have a
   * shared memory, or something between rustc and here dropped it.
   */
  threadsTarget?: string;
}

export interface CheckResult {
  name: string;
  status: 'pass' | 'fail' | 'warn';
  /** What was found, with the evidence; on failure also the fix. */
  message: string;
}

// https://github.com/containers/crun/blob/main/src/libcrun/handlers/handler-utils.c (wasm_can_handle)
const COMPAT_SMART_SUFFIXES = ['.wasm', '.wat'];

const THREADS_FIX =
  'Build with `--target wasm32-wasip1-threads` (`wasm32-wasi-preview1-threads` before Rust 1.78): it enables ' +
  '+atomics,+bulk-memory,+mutable-globals and links an imported shared `env.memory`. For a target without threads, ' +
  'set RUSTFLAGS="-C target-feature=+atomics,+bulk-memory,+mutable-globals -C link-arg=--shared-memory ' +
  '-C link-arg=--import-memory" and rebuild std with `-Z build-std`.';

/** Parses a feature name, throwing an error that lists the known names when it is not one. */
export function parseFeature(name: string): Feature {
  const f = name.trim().toLowerCase() as Feature;
  if (!FEATURES.includes(f)) throw new Error(`Unknown feature "${name}": expected one of ${FEATURES.join(', ')}`);
  return f;
}

function entrypointCheck(entrypoint: string): CheckResult {
  const ok = COMPAT_SMART_SUFFIXES.some((x) => entrypoint.endsWith(x));
  return {
    name: 'compat-smart entrypoint',
    status: ok ? 'pass' : 'fail',
    message: ok
      ? `${entrypoint} ends in ${entrypoint.slice(entrypoint.lastIndexOf('.'))}`
      : `The entrypoint "${entrypoint}" does not end in .wasm or .wat, so crun's compat-smart variant would run it ` +
        'as a native binary and fail with "exec format error". Name the module <name>.wasm.',
  };
}

function threadsTargetCheck(report: VerifyReport, target: string): CheckResult {
  const shared = report.features['shared-memory'];
  return {
    name: 'threads target',
    status: shared.used ? 'pass' : 'fail',
    message: shared.used
      ? `${target}: ${shared.evidence}`
      : `The module was built for ${target}, which links an imported shared env.memory, but the output has none: ` +
        `${shared.evidence}. Something overrode the target's link arguments: look for -C link-arg or ` +
        '-C target-feature in RUSTFLAGS, .cargo/config.toml and build scripts, and for a post-processing step ' +
        '(wasm-opt, wasm-snip) run without --enable-threads.',
  };
}

function requireFeature(report: VerifyReport, f: Feature): CheckResult {
  const use = report.features[f];
  if (use.used) return { name: `require ${f}`, status: 'pass', message: use.evidence };
  if (f === 'threads') {
    return {
      name: 'require threads',
      status: 'fail',
      message:
        `The module was required to use threads but cannot: ${report.features['shared-memory'].evidence}; ` +
        `${report.features.atomics.evidence}. Running it on several threads would race on unshared memory. ${THREADS_FIX}`,
    };
  }
  return {
    name: `require ${f}`,
    status: 'fail',
    message: `The module was required to use ${f} but does not: ${use.evidence}.`,
  };
}

/**
 * Runs verify's checks over a report: required and forbidden features, a threads target's shared memory, the
 * compat-smart entrypoint name, size, and consistency checks that hold for every module (atomics on unshared
 * memory make threads impossible; a used feature missing from `target_features` will make wasm-opt reject the
 * module unless flags are passed). A shared memory without a maximum never reaches here: the decoder rejects it
 * as invalid (threads proposal), and `explainParseError` gives the fix.
 *
 * Pure. Returns one result per check, in a stable order; a failed check's message carries the evidence and the fix.
 * Sources: WebAssembly threads proposal (shared memory, 0xFE instructions); binaryen#5833 (target_features);
 * crun handler-utils.c (compat-smart suffix rule); rustc target spec wasm32_wasip1_threads.rs (link args).
 */
export function runChecks(report: VerifyReport, options: CheckOptions = {}): CheckResult[] {
  const out: CheckResult[] = [];
  if (report.kind === 'component') {
    // Nothing inside a component is decoded: a check about its contents fails rather than pass unproven.
    const unproven = (name: string, what: string): CheckResult => ({
      name,
      status: 'fail',
      message:
        `The "${name}" check cannot be proven on a component: ${what} would need its core modules decoded, and ` +
        'wasm-build decodes core modules only. Build for wasm32-wasip1 or wasm32-wasip1-threads (a core module), or drop the check.',
    });
    for (const f of options.require ?? []) out.push(unproven(`require ${f}`, `whether it uses ${f}`));
    if (options.threadsTarget)
      out.push(unproven('threads target', `whether the ${options.threadsTarget} build kept its shared memory`));
    for (const f of options.forbid ?? []) out.push(unproven(`forbid ${f}`, `whether it uses ${f}`));
  } else {
    for (const f of options.require ?? []) out.push(requireFeature(report, f));
    if (options.threadsTarget) out.push(threadsTargetCheck(report, options.threadsTarget));
    for (const f of options.forbid ?? []) {
      const use = report.features[f];
      out.push({
        name: `forbid ${f}`,
        status: use.used ? 'fail' : 'pass',
        message: use.used ? `The module uses ${f}, which is forbidden: ${use.evidence}.` : use.evidence,
      });
    }
    if (report.atomics.total > 0 && !report.features['shared-memory'].used) {
      out.push({
        name: 'atomics on shared memory',
        status: 'warn',
        message: `The module has ${report.atomics.total} atomic instructions but no shared memory, so it cannot run on several threads. ${THREADS_FIX}`,
      });
    }
    if (report.targetFeaturesError) {
      out.push({
        name: 'target_features',
        status: 'warn',
        message: `The target_features section is malformed and was ignored (${report.targetFeaturesError}); wasm-opt will not read features from it, so the build passes --enable-* flags. Check the tool that wrote it.`,
      });
    }
    if (report.undeclared.length > 0) {
      out.push({
        name: 'target_features',
        status: 'warn',
        message: `Used but not declared in target_features: ${report.undeclared.join(', ')} (declared: ${report.targetFeatures?.join(' ')}).`,
      });
    }
  }
  if (options.entrypoint !== undefined) out.push(entrypointCheck(options.entrypoint));
  if (options.maxSize !== undefined) {
    const ok = report.size <= options.maxSize;
    out.push({
      name: 'max size',
      status: ok ? 'pass' : 'fail',
      message: ok
        ? `${report.size} bytes <= ${options.maxSize}`
        : `The module is ${report.size} bytes, over the limit of ${options.maxSize} bytes. Try opt-level "z", lto = true, strip = true, or wasm-opt -Oz.`,
    });
  }
  return out;
}
