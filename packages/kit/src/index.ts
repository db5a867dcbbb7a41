export * from './action.ts';
export * from './errors.ts';
export * from './exec.ts';
export * from './inputs.ts';
export * from './install.ts';
export * from './log.ts';
export * from './retry.ts';
