export * from './binaryen.ts';
export * from './cargo.ts';
export * from './rust.ts';
export * from './targets.ts';
export * from './toolchain-file.ts';
export * from './wasm-opt.ts';
