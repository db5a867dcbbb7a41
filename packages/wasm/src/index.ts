export * from './checks.ts';
export * from './decode.ts';
export * from './errors.ts';
export * from './report.ts';
export * from './report-schema.ts';
export * from './runtime-fit.ts';
export * from './types.ts';
