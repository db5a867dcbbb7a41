import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { tempDir } from '@wasm-build/kit';

/** A registry login. */
export interface Credentials {
  username: string;
  password: string;
}

/** `$DOCKER_CONFIG`, else `~/.docker`: the docker CLI's config directory (config.json, cli-plugins/). */
export function dockerConfigDir(env: NodeJS.ProcessEnv = process.env): string {
  return env.DOCKER_CONFIG || join(homedir(), '.docker');
}

/** `$DOCKER_CONFIG/config.json`, else `~/.docker/config.json` (docker CLI's lookup; docker/login-action writes it). */
export function dockerConfigFile(env: NodeJS.ProcessEnv = process.env): string {
  return join(dockerConfigDir(env), 'config.json');
}

/**
 * The docker config as parsed JSON: undefined when there is no config file, null when it cannot be read or is not
 * JSON (each caller decides what that means for it).
 */
export function readDockerConfig(env: NodeJS.ProcessEnv = process.env): Record<string, unknown> | null | undefined {
  const file = dockerConfigFile(env);
  if (!existsSync(file)) return undefined;
  try {
    const parsed = JSON.parse(readFileSync(file, 'utf8')) as unknown;
    return parsed !== null && typeof parsed === 'object' ? (parsed as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

/** The keys docker's config may use for a registry: the host, with a scheme, and Docker Hub's index URL. */
function authKeys(registry: string): string[] {
  if (registry === 'docker.io')
    return ['https://index.docker.io/v1/', 'index.docker.io', 'docker.io', 'registry-1.docker.io'];
  return [registry, `https://${registry}`, `http://${registry}`];
}

/**
 * The credentials the docker config holds for `registry` under `auths` (base64 `user:password` in `auth`, or
 * `username`/`password`), or undefined. Credential helpers (`credsStore`, `credHelpers`) are not called.
 * Source: docker/cli cli/config/configfile/file.go (`auths`, `auth` = base64 of `user:password`).
 */
export function dockerConfigCredentials(
  registry: string,
  env: NodeJS.ProcessEnv = process.env,
): Credentials | undefined {
  // A config that is missing or that we cannot read gives no credentials; the registry's 401 will say so.
  const auths = (readDockerConfig(env)?.auths ?? {}) as Record<
    string,
    { auth?: string; username?: string; password?: string } | undefined
  >;
  for (const key of authKeys(registry)) {
    const a = auths[key];
    if (a?.auth) {
      const plain = Buffer.from(a.auth, 'base64').toString();
      const colon = plain.indexOf(':');
      if (colon > 0) return { username: plain.slice(0, colon), password: plain.slice(colon + 1) };
    }
    if (a?.username && a.password) return { username: a.username, password: a.password };
  }
  return undefined;
}

/** A docker config written for one push; `dir` is what DOCKER_CONFIG points at, `file` its config.json. */
export interface AuthConfig {
  dir: string;
  file: string;
  /** Deletes the directory and the credentials in it. */
  remove(): void;
}

/** Prefix of the directories `writeAuthConfig` makes under RUNNER_TEMP (else the OS temp dir). */
export const AUTH_DIR_PREFIX = 'wasm-build-auth-';

/**
 * Writes a docker config holding only `credentials` for `registry`, mode 0600 in a fresh 0700 directory
 * `wasm-build-auth-XXXXXX` under `RUNNER_TEMP` (else the OS temp dir). skopeo (`--dest-authfile`), oras
 * (`--to-registry-config`) and buildx (`DOCKER_CONFIG`) all read this format. Call `remove()` when the push is over;
 * a SIGINT/SIGTERM before that removes it too (kit `tempDir`, `handleInterrupts`).
 */
export function writeAuthConfig(registry: string, credentials: Credentials): AuthConfig {
  const dir = tempDir(AUTH_DIR_PREFIX);
  try {
    chmodSync(dir.path, 0o700);
    const file = join(dir.path, 'config.json');
    const auth = Buffer.from(`${credentials.username}:${credentials.password}`).toString('base64');
    writeFileSync(file, JSON.stringify({ auths: { [registry]: { auth } } }), { mode: 0o600 });
    return { dir: dir.path, file, remove: dir.remove };
  } catch (e) {
    dir.remove();
    throw e;
  }
}
