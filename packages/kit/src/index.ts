export * from './errors.ts';
export * from './exec.ts';
export * from './install.ts';
export * from './log.ts';
