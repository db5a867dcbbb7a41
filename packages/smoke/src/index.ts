export * from './crun.ts';
export * from './judge.ts';
export * from './node-runner.ts';
export * from './outcome.ts';
export * from './run.ts';
export * from './types.ts';
export * from './unpack.ts';
export * from './wasm-cli.ts';
