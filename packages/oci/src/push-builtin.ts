import { allInOrder, checkInterrupted, UserError } from '@wasm-build/kit';
import type { BuiltImage } from './layout.ts';
import type { RegistryClient } from './registry.ts';

/** What a push sent: the blobs the registry lacked (count and bytes) and those it already held. */
export interface BlobsSent {
  bytesUploaded: number;
  blobsUploaded: number;
  blobsPresent: number;
}

/**
 * `backend: builtin`: pushes the image we built with our own registry client, no tool started. It uploads the config
 * and layer blobs at once, each skipped when the registry already holds it (`RegistryClient.pushBlob`: a HEAD, else a
 * POST and one monolithic PUT with `?digest=`). Then it PUTs the manifest by its digest, never under a tag: tags come
 * after the read-back. The bytes pushed are `image.blobs`, the ones the image stage wrote to the layout, so the
 * registry's copy is the layout's byte for byte, as with skopeo and oras. Every request retries 429/5xx and failed
 * connections as the client does. A signal between the blobs and the manifest stops before the manifest.
 * @throws UserError when a blob is missing from `image.blobs` (a caller's bug), when the registry answers the
 *   manifest PUT with a `Docker-Content-Digest` other than the manifest's, and what `pushBlob`/`putManifest` throw
 *   (unreachable, 401/403, a refused upload, an upload URL outside the repository).
 * Source: OCI distribution-spec v1.1 spec.md "Pushing blobs" (monolithic upload), "Pushing Manifests" (PUT
 * /v2/NAME/manifests/DIGEST, after every blob it names).
 */
export async function pushBuiltImage(client: RegistryClient, image: BuiltImage): Promise<BlobsSent> {
  const bytesOf = (digest: string) => {
    const bytes = image.blobs.get(digest);
    if (!bytes) throw new Error(`pushBuiltImage: blob ${digest} is not among the image's blobs`);
    return bytes;
  };
  const blobs = [image.config, image.layer];
  const sent = await allInOrder(blobs.map((b) => client.pushBlob(b.digest, bytesOf(b.digest))));
  checkInterrupted();
  const { digest, mediaType } = image.manifest;
  const headers = await client.putManifest(digest, bytesOf(digest), mediaType);
  const stored = headers.get('docker-content-digest');
  if (stored !== null && stored !== digest) {
    throw new UserError(
      `Registry ${client.ref.registry} stored the manifest ${digest} of ${client.ref.repository} as ${JSON.stringify(stored.slice(0, 200))} (Docker-Content-Digest)`,
      { fix: 'The registry rewrote the manifest; no tag was written. Check the registry, or push with backend: oras' },
    );
  }
  return blobsSent(
    blobs,
    sent.map((s) => !s.uploaded),
  );
}

/** What a push sent of `blobs`, given which of them the registry already held (`present`, in the same order). */
export function blobsSent(blobs: readonly { size: number }[], present: readonly boolean[]): BlobsSent {
  const missing = blobs.filter((_, i) => !present[i]);
  return {
    bytesUploaded: missing.reduce((n, b) => n + b.size, 0),
    blobsUploaded: missing.length,
    blobsPresent: blobs.length - missing.length,
  };
}
