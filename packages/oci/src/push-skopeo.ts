import type { Command } from '@wasm-build/kit';
import type { LayoutPush } from './push-types.ts';
import { isLoopbackRegistry } from './reference.ts';

/**
 * `skopeo copy --preserve-digests oci:DIR:TAG docker://REGISTRY/REPO@DIGEST`, as data: copies the layout byte for
 * byte, by digest (no tag is written; tags come after the read-back).
 * Source: skopeo-copy(1) (containers/skopeo docs/skopeo-copy.1.md: --preserve-digests, --dest-authfile,
 * --dest-tls-verify, --retry-times).
 */
export function skopeoCopyCommand(o: LayoutPush): Command {
  const insecure = o.insecure ?? isLoopbackRegistry(o.ref.registry);
  const args = ['copy', '--preserve-digests'];
  if (insecure) args.push('--dest-tls-verify=false');
  if (o.authFile) args.push('--dest-authfile', o.authFile);
  args.push('--retry-times', '2');
  args.push(`oci:${o.layoutDir}:${o.layoutTag}`, `docker://${o.ref.registry}/${o.ref.repository}@${o.digest}`);
  return { command: o.tool ?? 'skopeo', args };
}
