import { createHash } from 'node:crypto';
import { UserError } from '@wasm-build/kit';

/**
 * The digests we accept, by algorithm: the registered ones of image-spec descriptor.md ("Registered algorithms"),
 * lowercase hex of the exact length. Anything else (`sha256:../../etc`, uppercase, a short hex) is refused before it
 * becomes a URL or a path.
 */
export const DIGEST_PATTERNS = {
  sha256: /^sha256:[a-f0-9]{64}$/,
  sha512: /^sha512:[a-f0-9]{128}$/,
} as const;

export type DigestAlgorithm = keyof typeof DIGEST_PATTERNS;

/** True when `value` is a `sha256:<64 hex>` or `sha512:<128 hex>` digest. */
export function isDigest(value: unknown): boolean {
  return typeof value === 'string' && (DIGEST_PATTERNS.sha256.test(value) || DIGEST_PATTERNS.sha512.test(value));
}

/**
 * Returns `value` when it is a digest we accept (`isDigest`).
 * @throws UserError naming `where` (e.g. "the layer 0 descriptor of ghcr.io/o/a:1") and the value, quoted.
 */
export function checkDigest(value: unknown, where: string): string {
  if (isDigest(value)) return value as string;
  const shown = typeof value === 'string' ? JSON.stringify(value.slice(0, 200)) : String(value);
  throw new UserError(`Invalid digest ${shown} in ${where}`, {
    fix: 'A digest must be sha256:<64 lowercase hex> or sha512:<128 lowercase hex>; the image or layout is corrupt or crafted, rebuild or push it again',
  });
}

/** The digest of `bytes` with `algorithm` (default sha256), as `algorithm:hex`. */
export function digestOf(bytes: Uint8Array, algorithm: DigestAlgorithm = 'sha256'): string {
  return `${algorithm}:${createHash(algorithm).update(bytes).digest('hex')}`;
}

/** The algorithm of a digest already checked by `checkDigest` (`sha256:…` → `sha256`). */
export function algorithmOf(digest: string): DigestAlgorithm {
  return digest.slice(0, digest.indexOf(':')) as DigestAlgorithm;
}
