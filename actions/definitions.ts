// The one description of every action's inputs and outputs. `npm run actions` writes each action.yml (and the
// root one) from it, then each README's tables from the action.yml files; `npm run check-dist` fails on a diff.
import type { InputKind } from '@wasm-build/kit';

export interface InputDef {
  description: string;
  default?: string;
  required?: boolean;
  /** Schema key the input fills, and how its string is read (see kit/inputs.ts). */
  key: string;
  kind: InputKind;
}

export interface ActionDef {
  /** Directory under actions/; `wasm-build` is the root action's code. */
  dir: string;
  name: string;
  description: string;
  icon: string;
  inputs: Record<string, InputDef>;
  outputs: Record<string, string>;
}

const I = (key: string, kind: InputKind, description: string, extra: Partial<InputDef> = {}): InputDef => ({
  key,
  kind,
  description,
  ...extra,
});

const MANIFEST = {
  'manifest-path': I('manifestPath', 'string', 'Crate directory or its Cargo.toml.', { default: '.' }),
};
const TOOLCHAIN = {
  toolchain: I(
    'toolchain',
    'string',
    "rustup toolchain (stable, 1.83, nightly-2025-01-01) or a directory holding bin/cargo. Empty: the crate's rust-toolchain.toml, else cargo on PATH. A missing rustup toolchain is installed (minimal profile).",
  ),
  target: I(
    'target',
    'string',
    'wasm32-wasip1, wasm32-wasip1-threads, wasm32-wasi or wasm32-wasi-preview1-threads. Empty: chosen by the rustc version.',
  ),
  threads: I('threads', 'boolean', 'Build for the WASI threads target; verify then requires a shared memory.', {
    default: 'false',
  }),
};
const BINARYEN = {
  'binaryen-version': I('binaryenVersion', 'string', 'binaryen release to install wasm-opt from (N of version_N).', {
    default: '132',
  }),
  'binaryen-base-url': I(
    'binaryenBaseUrl',
    'string',
    'Where binaryen releases are downloaded from (a mirror must serve the same .tar.gz and .sha256 files).',
    { default: 'https://github.com/WebAssembly/binaryen/releases/download' },
  ),
};
const BUILD = {
  package: I('package', 'string', 'cargo -p: the package to build in a workspace.'),
  bin: I('bin', 'string', 'cargo --bin: the binary to build when the package has several.'),
  features: I('features', 'list', 'cargo --features, comma or newline separated.'),
  profile: I('profile', 'string', 'cargo profile.', { default: 'release' }),
  optimize: I('optimize', 'boolean', 'Run wasm-opt on the module.', { default: 'true' }),
  'wasm-opt': I('wasmOpt', 'string', 'Path of a wasm-opt to use instead of installing binaryen.'),
  'opt-level': I('optLevel', 'string', 'wasm-opt level: 0, 1, 2, 3, 4, s or z.', { default: 'z' }),
  'wasm-opt-args': I(
    'wasmOptArgs',
    'lines',
    'Extra wasm-opt arguments, one per line: passes, levels, feature flags, pass arguments. Refused before any work: options that write or read files or run commands (-o, -S, --output-source-map, --input-source-map, --emit-*-wrapper, --extra-fuzz-command, --symbolmap=FILE, --pass-arg=symbolmap@FILE, @FILE values) and any argument holding "/".',
  ),
};
const CHECKS = {
  require: I('require', 'list', 'Features the module must use (e.g. threads, simd), comma separated.'),
  forbid: I('forbid', 'list', 'Features the module must not use, comma separated.'),
  'max-size': I('maxSize', 'number', 'Largest acceptable module, bytes (1 to 4294967296).'),
};
const IMAGE = {
  image: I('image', 'string', 'Image reference to push to (registry/repository[:tag]). Empty: no push.'),
  annotations: I(
    'annotations',
    'lines',
    "Manifest annotations, KEY=value, one per line; docker/metadata-action's annotations output as it is (manifest: keys kept, index: keys left out with a notice).",
  ),
  labels: I('labels', 'lines', "Config labels, KEY=value, one per line (docker/metadata-action's labels output too)."),
  insecure: I(
    'insecure',
    'boolean',
    'Reach the registry over plain HTTP. Empty: plain HTTP for loopback registries (127.0.0.1, localhost) only.',
  ),
};
const PUSH = {
  backend: I(
    'backend',
    'string',
    'How to push: auto, buildx, oras, builtin or skopeo. auto: docker buildx >= 0.12, else oras on PATH, else builtin (our own registry client, no tool). oras asked for by name is installed when not on PATH.',
    { default: 'auto' },
  ),
  tags: I(
    'tags',
    'list',
    "More tags for the image, comma or newline separated, or docker/metadata-action's tags output (full references of the same repository); written only after the read-back (and the smoke test) prove the push.",
  ),
  username: I('username', 'string', "Registry username. Empty: the runner's docker config (docker/login-action)."),
  password: I('password', 'string', 'Registry password or token (masked in logs).'),
  'oras-version': I('orasVersion', 'string', 'oras release installed when oras is used and not on PATH.', {
    default: '1.3.0',
  }),
};
const STATEMENTS = {
  provenance: I(
    'provenance',
    'boolean',
    'Attach SLSA v1 provenance (an in-toto Statement) to the pushed image as an OCI referrer (artifactType application/vnd.in-toto+json, subject = the image manifest); the image itself stays one wasi/wasm manifest.',
    { default: 'true' },
  ),
  sbom: I(
    'sbom',
    'boolean',
    "Attach a CycloneDX SBOM of the crate's dependencies (cargo metadata and Cargo.lock) to the pushed image as an OCI referrer (artifactType application/vnd.cyclonedx+json).",
    { default: 'true' },
  ),
};
const STATEMENT_OUTPUTS = {
  'provenance-digest': 'Manifest digest of the provenance referrer (empty when not attached).',
  'sbom-digest': 'Manifest digest of the SBOM referrer (empty when not attached).',
};
const RUNTIMES = {
  runtimes: I(
    'runtimes',
    'list',
    'Runtimes to smoke-test under: wasmedge, crun-wasmedge, wasmtime, node (comma or newline separated).',
    { default: 'wasmedge,crun-wasmedge,node' },
  ),
  'allow-incompatible': I(
    'allowIncompatible',
    'list',
    'Runtimes whose known incompatibility with the module (from verify) does not fail the step.',
  ),
  preopen: I(
    'preopen',
    'string',
    'An existing host directory the module gets as a WASI preopen (read and write): HOST or HOST:GUEST (GUEST absolute, default /data). /, the home, workspace, temp and tool-cache roots and their parents are refused unless preopen-allow-root is true.',
  ),
  'preopen-allow-root': I(
    'preopenAllowRoot',
    'boolean',
    'Allow preopen to be /, HOME, GITHUB_WORKSPACE, RUNNER_WORKSPACE, RUNNER_TEMP, RUNNER_TOOL_CACHE or a parent of one: the module can then read and write all of it.',
    { default: 'false' },
  ),
  wasmedge: I(
    'wasmedge',
    'string',
    'Path of a wasmedge to use. Empty: wasmedge on PATH, else its release is installed.',
  ),
  'wasmedge-version': I('wasmedgeVersion', 'string', 'WasmEdge release to install.', { default: '0.17.1' }),
  'wasmedge-sha256': I(
    'wasmedgeSha256',
    'string',
    "sha256 of the WasmEdge tarball, checked instead of the releases API's asset digest.",
  ),
  crun: I(
    'crun',
    'string',
    'Path of a crun built with the WasmEdge handler. Empty: crun on PATH, else built from source.',
  ),
  'crun-version': I('crunVersion', 'string', 'crun release built --with-wasmedge when none has the handler.', {
    default: '1.27.1',
  }),
  wasmtime: I(
    'wasmtime',
    'string',
    'Path of a wasmtime to use. Empty: wasmtime on PATH, else its release is installed.',
  ),
  'wasmtime-version': I('wasmtimeVersion', 'string', 'wasmtime release to install.', { default: '36.0.0' }),
  'github-token': I(
    'githubToken',
    'string',
    "Token for GitHub's releases API when a runtime is installed (its rate limit is far higher with one). Never passed to child processes.",
    { default: '${{ github.token }}' },
  ),
};
const SMOKE = {
  args: I('smokeArgs', 'lines', 'Arguments for the module in the smoke test, one per line.'),
  env: I('smokeEnv', 'lines', 'Environment for the module in the smoke test, KEY=value, one per line.'),
  'expect-stdout': I('expectStdout', 'string', "Text the module's stdout must contain (at most 65536 characters)."),
  'expect-stdout-regex': I(
    'expectStdoutRegex',
    'boolean',
    'Read expect-stdout as an RE2 regular expression (matched in linear time; no backreferences or lookahead), checked before any work.',
    { default: 'false' },
  ),
  'expect-exit-code': I('expectExitCode', 'number', 'Exit code the module must return (0 to 255).', {
    default: '0',
  }),
  timeout: I('timeoutMs', 'number', 'Kill the smoke test after this many ms (1 to 21600000, 6 hours).', {
    default: '30000',
  }),
};
const WORK = {
  'work-dir': I('workDir', 'string', 'Scratch directory for the optimized module and the OCI layout.', {
    default: '.wasm-build',
  }),
};

export const ACTIONS: ActionDef[] = [
  {
    dir: 'wasm-build',
    name: 'wasm-build',
    description:
      'Rust crate to a verified, runnable WebAssembly OCI image: setup, build, wasm-opt, verify, image, push, smoke-test.',
    icon: 'package',
    inputs: {
      ...MANIFEST,
      ...TOOLCHAIN,
      ...BINARYEN,
      ...BUILD,
      ...CHECKS,
      ...IMAGE,
      ...PUSH,
      ...STATEMENTS,
      'layout-dir': I('layoutDir', 'string', 'Where the OCI layout is written. Empty: <work-dir>/oci-layout.'),
      smoke: I('smoke', 'boolean', 'Pull the pushed image back (or read the layout) and run it under each runtime.', {
        default: 'true',
      }),
      ...SMOKE,
      ...RUNTIMES,
      ...WORK,
      cache: I(
        'cache',
        'boolean',
        "Cache cargo's registry, git checkouts and the target directory (@actions/cache), keyed by the toolchain setup installed (rustc -vV), the target, Cargo.lock, build variables (RUSTFLAGS, CARGO_*) and cargo's target_directory; restored after setup, saved by the post step when the key was not an exact hit.",
        { default: 'true' },
      ),
    },
    outputs: {
      'wasm-path': 'Path of the optimized module.',
      'wasm-size': 'Size of the module, bytes.',
      'wasm-sha256': 'sha256 of the module (hex).',
      report: 'The verify report as JSON (schemas/verify-report.v1.json).',
      'image-ref': 'The pushed reference pinned by digest (repository@sha256:...).',
      digest: 'Manifest digest of the image as the registry serves it (as built when not pushed).',
      'layout-dir': 'The OCI image layout written.',
      'smoke-results': 'Smoke-test results as JSON: runtime, status, exitCode, stdout, stderr, durationMs, reason.',
      backend: 'How the image was pushed (buildx, oras, builtin or skopeo).',
      ...STATEMENT_OUTPUTS,
    },
  },
  {
    dir: 'setup',
    name: 'wasm-build setup',
    description: "Rust for WASI (toolchain and wasm32 target) and binaryen's wasm-opt from its release, cached.",
    icon: 'download',
    inputs: { ...MANIFEST, ...TOOLCHAIN, ...BINARYEN },
    outputs: {
      'rustc-version': 'rustc version, e.g. 1.83.0.',
      toolchain: 'The toolchain used (name or directory; empty for PATH).',
      target: 'The resolved target triple.',
      'wasm-opt-path': 'Path of wasm-opt (also added to PATH).',
      'binaryen-cached': 'true when binaryen came from the tool cache without a download.',
    },
  },
  {
    dir: 'build',
    name: 'wasm-build build',
    description: "cargo build for a WASI target, the module found from cargo's JSON messages, then wasm-opt.",
    icon: 'cpu',
    inputs: { ...MANIFEST, ...TOOLCHAIN, ...BUILD, ...WORK },
    outputs: {
      'wasm-path': 'Path of the (optimized) module.',
      'wasm-size': 'Size of the module, bytes.',
      'wasm-sha256': 'sha256 of the module (hex).',
      'size-before': 'Size before wasm-opt, bytes.',
      name: 'Module name (the cargo binary).',
    },
  },
  {
    dir: 'verify',
    name: 'wasm-build verify',
    description: 'Prove what a WebAssembly module uses (threads, atomics, SIMD, WASI) and whether runtimes can run it.',
    icon: 'check-circle',
    inputs: {
      wasm: I('wasm', 'string', 'Path of the module.', { required: true }),
      ...CHECKS,
      entrypoint: I('entrypoint', 'string', 'Path the image will run the module as (checked for compat-smart).'),
      target: I('target', 'string', 'Target the module was built for; a threads target must give shared memory.'),
    },
    outputs: {
      report: 'The verify report as JSON (schemas/verify-report.v1.json).',
      'features-used': 'Features the module uses, comma separated.',
      threads: 'true when the module has shared memory and atomics.',
    },
  },
  {
    dir: 'image',
    name: 'wasm-build image',
    description: 'A FROM-scratch wasi/wasm OCI image (compat-smart) holding only the module; pushed and read back.',
    icon: 'box',
    inputs: {
      wasm: I('wasm', 'string', 'Path of the module.', { required: true }),
      name: I('name', 'string', 'Module name in the image (/<name>.wasm). Empty: the file name.'),
      ...IMAGE,
      ...PUSH,
      ...STATEMENTS,
      'layout-dir': I('layoutDir', 'string', 'Where the OCI layout is written.', { default: '.wasm-build/oci-layout' }),
      ...MANIFEST,
    },
    outputs: {
      backend: 'How the image was pushed (buildx, oras, builtin or skopeo; empty when not pushed).',
      'bytes-uploaded': 'Bytes of blobs the registry did not have before the push (builtin, skopeo, oras).',
      digest: 'Manifest digest.',
      'image-ref': 'The pushed reference pinned by digest (empty when not pushed).',
      'layout-dir': 'The OCI image layout written.',
      entrypoint: 'Path the image runs (/<name>.wasm).',
      ...STATEMENT_OUTPUTS,
    },
  },
  {
    dir: 'smoke-test',
    name: 'wasm-build smoke-test',
    description:
      'Pull a wasm image back (or read its OCI layout) and run it under WasmEdge, crun with its WasmEdge handler, wasmtime or Node.',
    icon: 'play',
    inputs: {
      image: I('image', 'string', 'Image to pull and run, best pinned by digest (the image-ref output of image).'),
      'layout-dir': I('layoutDir', 'string', 'An OCI layout to run instead (the layout-dir output of image).'),
      wasm: I('wasm', 'string', 'A module to run alone instead (packed as the image action would).'),
      insecure: IMAGE.insecure,
      username: PUSH.username,
      password: PUSH.password,
      ...SMOKE,
      ...RUNTIMES,
    },
    outputs: {
      results: 'Results as JSON, one per runtime: runtime, status, exitCode, stdout, stderr, durationMs, reason.',
    },
  },
];

/** The input spec `readInputs` takes, for one action. */
export function inputSpec(dir: string): Record<string, readonly [string, InputKind]> {
  const def = ACTIONS.find((a) => a.dir === dir);
  if (!def) throw new Error(`No action ${dir}`);
  return Object.fromEntries(Object.entries(def.inputs).map(([name, i]) => [name, [i.key, i.kind] as const]));
}
