export * from './decode.ts';
export * from './errors.ts';
export * from './types.ts';
