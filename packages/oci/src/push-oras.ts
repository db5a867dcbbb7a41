import type { Command } from '@wasm-build/kit';
import type { LayoutPush } from './push-types.ts';
import { isLoopbackRegistry } from './reference.ts';

/**
 * `oras cp --from-oci-layout DIR:TAG REGISTRY/REPO@DIGEST`, as data: oras copies the layout's manifest and blobs as
 * they are, so the registry's digest is ours; by digest, so no tag is written before the read-back.
 * Source: oras docs, "oras cp" (--from-oci-layout, --to-plain-http, --to-registry-config).
 */
export function orasCopyCommand(o: LayoutPush): Command {
  const insecure = o.insecure ?? isLoopbackRegistry(o.ref.registry);
  const args = ['cp', '--from-oci-layout'];
  if (insecure) args.push('--to-plain-http');
  if (o.authFile) args.push('--to-registry-config', o.authFile);
  args.push(`${o.layoutDir}:${o.layoutTag}`, `${o.ref.registry}/${o.ref.repository}@${o.digest}`);
  return { command: o.tool ?? 'oras', args };
}
