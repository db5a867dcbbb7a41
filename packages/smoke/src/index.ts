export * from './node-runner.ts';
export * from './types.ts';
