export * from './layout.ts';
export * from './local-registry.ts';
export * from './media-types.ts';
export * from './push-skopeo.ts';
export * from './reference.ts';
export * from './registry.ts';
export * from './tar.ts';
