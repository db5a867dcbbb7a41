import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { dockerConfigDir, readDockerConfig } from './docker-config.ts';

/** docker/cli cli-plugins/manager/manager_unix.go `defaultSystemPluginDirs`. */
const SYSTEM_PLUGIN_DIRS = [
  '/usr/local/lib/docker/cli-plugins',
  '/usr/local/libexec/docker/cli-plugins',
  '/usr/lib/docker/cli-plugins',
  '/usr/libexec/docker/cli-plugins',
];

/**
 * False only when `docker buildx` surely cannot run: no `docker-buildx` file in any directory the docker CLI looks
 * for plugins in (`$DOCKER_CONFIG/cli-plugins`, else `~/.docker/cli-plugins`, then the system directories), and a
 * docker config that names no `cliPluginsExtraDirs`. Looked up on the file system only, so a machine with the docker
 * CLI but no buildx (this one; many laptops) starts no `docker buildx version`, a Go process that holds a core for a
 * quarter of a second. Where it cannot tell (Windows, a config it cannot read, extra plugin directories) it answers
 * true, and the probe asks docker itself.
 * Source: docker/cli cli-plugins/manager/manager.go (`getPluginDirs`: the config dir's `cli-plugins`, then
 * `CLIPluginsExtraDirs`, then `defaultSystemPluginDirs`) and manager_unix.go.
 */
export function buildxPluginMayRun(
  env: NodeJS.ProcessEnv = process.env,
  platform: NodeJS.Platform = process.platform,
  systemDirs: readonly string[] = SYSTEM_PLUGIN_DIRS,
): boolean {
  if (platform === 'win32') return true;
  const config = readDockerConfig(env);
  if (config === null || config?.cliPluginsExtraDirs !== undefined) return true;
  const own = join(dockerConfigDir(env), 'cli-plugins');
  return [own, ...systemDirs].some((d) => existsSync(join(d, 'docker-buildx')));
}
