import { UserError } from '@wasm-build/kit/errors';

/** A parsed image reference: `registry/repository[:tag][@digest]`. */
export interface ImageRef {
  /** Host and optional port, e.g. `ghcr.io`, `127.0.0.1:5000`; `docker.io` when the reference names none. */
  registry: string;
  /** Repository path, e.g. `org/app`; `library/x` for a one-part Docker Hub name. */
  repository: string;
  tag?: string;
  digest?: string;
  /**
   * The registry and repository as given when they had uppercase letters, which were lowercased (as
   * docker/metadata-action does for `ghcr.io/${{ github.repository }}`); absent when nothing was changed.
   */
  lowercasedFrom?: string;
}

// Grammar of distribution/reference (reference.go): path components, tag, digest.
const COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const TAG = /^[\w][\w.-]{0,127}$/;
const DIGEST = /^sha256:[a-f0-9]{64}$/;
const HOST =
  /^(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)*|\[[a-fA-F0-9:]+\])(?::\d+)?$/;

/**
 * Parses an image reference as docker does. The first path part is a registry when it has a `.` or `:` or is
 * `localhost`. Uppercase letters in the registry and repository are lowercased and the original kept in
 * `lowercasedFrom` (docker refuses them; docker/metadata-action lowercases image names the same way, so
 * `ghcr.io/${{ github.repository }}` works for an owner such as `MyOrg`). Tags keep their case.
 * @throws UserError naming the bad part and the expected shape.
 * Source: github.com/distribution/reference, reference.go and normalize.go; docker/metadata-action src/meta.ts
 * (`image.name.toLowerCase()`).
 */
export function parseImageRef(input: string): ImageRef {
  const fail = (why: string): never => {
    throw new UserError(`Invalid image reference "${input}": ${why}`, {
      fix: 'Use registry/repository[:tag][@sha256:digest], e.g. ghcr.io/org/app:1.0',
    });
  };
  let rest = input.trim();
  if (!rest) fail('it is empty');
  let digest: string | undefined;
  const at = rest.indexOf('@');
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    if (!DIGEST.test(digest)) fail(`"${digest}" is not a sha256 digest`);
  }
  let tag: string | undefined;
  const lastSlash = rest.lastIndexOf('/');
  const colon = rest.lastIndexOf(':');
  if (colon > lastSlash) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
    if (!TAG.test(tag))
      fail(`"${tag}" is not a valid tag (letters, digits, _ . -, at most 128, not starting with . or -)`);
  }
  const named = rest;
  rest = rest.toLowerCase();
  const parts = rest.split('/');
  let registry = 'docker.io';
  if (parts.length > 1 && (/[.:]/.test(parts[0]) || parts[0] === 'localhost')) {
    registry = parts.shift()!;
    if (!HOST.test(registry)) fail(`"${registry}" is not a valid registry host`);
  }
  for (const p of parts) {
    if (!COMPONENT.test(p))
      fail(`"${p}" is not a valid repository path component (lowercase letters, digits, separators . _ __ -)`);
  }
  if (registry === 'docker.io' && parts.length === 1) parts.unshift('library');
  return {
    registry,
    repository: parts.join('/'),
    tag,
    digest,
    ...(named !== rest ? { lowercasedFrom: named } : {}),
  };
}

/** True when two references name the same repository on the same registry (tags and digests aside). */
export function sameRepository(a: ImageRef, b: ImageRef): boolean {
  return a.registry === b.registry && a.repository === b.repository;
}

/** Renders a reference; with `digest` the result pins that digest instead of the tag. */
export function formatImageRef(ref: ImageRef, options: { digest?: string } = {}): string {
  const base = `${ref.registry}/${ref.repository}`;
  if (options.digest) return `${base}@${options.digest}`;
  return `${base}${ref.tag ? `:${ref.tag}` : ''}${ref.digest ? `@${ref.digest}` : ''}`;
}

/** True for registries on the loopback interface, which are reached over plain HTTP as docker does. */
export function isLoopbackRegistry(registry: string): boolean {
  const host = registry.replace(/:\d+$/, '');
  return host === 'localhost' || host === '[::1]' || /^127\.\d+\.\d+\.\d+$/.test(host);
}
