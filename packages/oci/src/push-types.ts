import type { ImageRef } from './reference.ts';

/** How wasm-build pushes: the tools it drives, and `builtin`, its own registry client (no tool). */
export const PUSH_BACKENDS = ['buildx', 'oras', 'builtin', 'skopeo'] as const;
export type PushBackend = (typeof PUSH_BACKENDS)[number];

/** A copy of an OCI layout's image to a registry by digest (skopeo, oras). */
export interface LayoutPush {
  layoutDir: string;
  /** Tag of the manifest inside the layout's index.json. */
  layoutTag: string;
  /** Destination repository (its tag is not used: the copy is by digest). */
  ref: ImageRef;
  /** The manifest digest the copy must arrive as. */
  digest: string;
  /** Plain HTTP / no TLS verification; defaults to true only for loopback registries. */
  insecure?: boolean;
  /** A docker config.json with the credentials, for the tool's auth-file flag. */
  authFile?: string;
  /** The tool's path; default its name on PATH. */
  tool?: string;
}
