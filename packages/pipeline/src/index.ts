export * from './cli-args.ts';
export * from './metadata.ts';
export * from './options.ts';
export * from './pipeline.ts';
export * from './stages.ts';
export * from './summary.ts';
export * from './table.ts';
