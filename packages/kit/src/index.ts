export * from './errors.ts';
export * from './exec.ts';
export * from './log.ts';
