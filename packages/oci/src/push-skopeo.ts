import { type Command, exec, type Log, UserError } from '@wasm-build/kit';
import { formatImageRef, type ImageRef, isLoopbackRegistry } from './reference.ts';

export interface SkopeoPushOptions {
  layoutDir: string;
  /** Tag of the manifest inside the layout's index.json. */
  layoutTag: string;
  ref: ImageRef;
  /** Plain HTTP / no TLS verification; defaults to true only for loopback registries. */
  insecure?: boolean;
  /** A containers-auth.json / docker config.json with credentials for the registry. */
  authFile?: string;
  retryTimes?: number;
}

/**
 * `skopeo copy --preserve-digests oci:DIR:TAG docker://REF`, as data: copies the layout byte for byte so the
 * registry's manifest digest is the one we computed.
 * Source: skopeo-copy(1) (containers/skopeo docs/skopeo-copy.1.md).
 */
export function skopeoCopyCommand(o: SkopeoPushOptions): Command {
  const insecure = o.insecure ?? isLoopbackRegistry(o.ref.registry);
  const args = ['copy', '--preserve-digests'];
  if (insecure) args.push('--dest-tls-verify=false');
  if (o.authFile) args.push('--dest-authfile', o.authFile);
  if (o.retryTimes) args.push('--retry-times', String(o.retryTimes));
  args.push(`oci:${o.layoutDir}:${o.layoutTag}`, `docker://${formatImageRef({ ...o.ref, digest: undefined })}`);
  return { command: 'skopeo', args };
}

/** Maps skopeo's stderr to a cause and a fix a user can act on. */
export function explainPushFailure(stderr: string, registry: string): { cause: string; fix: string } {
  if (/connection refused|no such host|dial tcp|i\/o timeout|network is unreachable/i.test(stderr)) {
    return {
      cause: `registry ${registry} is unreachable`,
      fix: `Check the registry address "${registry}" and that it is running`,
    };
  }
  if (/unauthorized|authentication required|401/i.test(stderr)) {
    return {
      cause: `registry ${registry} refused the credentials (401)`,
      fix: 'Check username/password or run docker login for this registry',
    };
  }
  if (/denied|403|forbidden/i.test(stderr)) {
    return {
      cause: `registry ${registry} denied the push (403)`,
      fix: 'Check that the account may push to this repository (packages: write on GitHub)',
    };
  }
  if (/server gave HTTP response to HTTPS client|http: server gave HTTP/i.test(stderr)) {
    return { cause: `registry ${registry} speaks plain HTTP`, fix: 'Set insecure: true for this registry' };
  }
  return { cause: stderr.trim().split('\n').slice(-2).join(' | '), fix: 'See skopeo’s message above' };
}

/**
 * Pushes an OCI layout with skopeo (on GitHub's Ubuntu runners by default).
 * @throws UserError with the registry, the cause (unreachable, 401, 403, HTTP vs HTTPS) and the fix.
 */
export async function pushWithSkopeo(
  o: SkopeoPushOptions,
  log: Log,
): Promise<{ durationMs: number; command: Command }> {
  const command = skopeoCopyCommand(o);
  log.debug(`Skopeo.push: ${[command.command, ...command.args].join(' ')}`);
  const result = await exec.run(command);
  if (result.exitCode !== 0) {
    const { cause, fix } = explainPushFailure(result.stderr, o.ref.registry);
    throw new UserError(`Push of ${formatImageRef(o.ref)} failed: ${cause}`, { fix });
  }
  return { durationMs: result.durationMs, command };
}
