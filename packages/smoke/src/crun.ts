import { readFileSync } from 'node:fs';
import type { Command } from '@wasm-build/kit';

/** The process and annotations a crun bundle runs. */
export interface BundleSpec {
  /** `process.args`: the image's Entrypoint followed by Cmd (or the given args). */
  args: string[];
  /** `KEY=value` pairs. */
  env: string[];
  cwd?: string;
  /** Runtime-config annotations: the image's `module.wasm.image/variant`, as a pod annotation would carry it. */
  annotations: Record<string, string>;
  /** A host directory bind-mounted into the container, for a WASI preopen. */
  preopen?: { host: string; guest: string };
}

/**
 * An OCI runtime config (`config.json`) for a smoke test: rootfs read-only, no new privileges, no capabilities, new
 * pid/ipc/uts/mount namespaces and no network namespace of its own (the host's), /proc and a tmpfs /dev, the
 * annotations crun picks its wasm handler by.
 * Source: OCI runtime-spec v1.0.2 config.md and config-linux.md; crun's handler selection by annotation
 * (containers/crun src/libcrun/handlers/handler-utils.c).
 */
export function bundleConfig(s: BundleSpec): Record<string, unknown> {
  const mounts: Record<string, unknown>[] = [
    { destination: '/proc', type: 'proc', source: 'proc' },
    {
      destination: '/dev',
      type: 'tmpfs',
      source: 'tmpfs',
      options: ['nosuid', 'strictatime', 'mode=755', 'size=65536k'],
    },
  ];
  if (s.preopen)
    mounts.push({ destination: s.preopen.guest, type: 'bind', source: s.preopen.host, options: ['rbind', 'rw'] });
  return {
    ociVersion: '1.0.2',
    process: {
      terminal: false,
      user: { uid: 0, gid: 0 },
      args: s.args,
      env: s.env,
      cwd: s.cwd ?? '/',
      capabilities: { bounding: [], effective: [], permitted: [] },
      noNewPrivileges: true,
    },
    root: { path: 'rootfs', readonly: true },
    hostname: 'wasm-build-smoke',
    mounts,
    annotations: s.annotations,
    linux: {
      namespaces: [{ type: 'pid' }, { type: 'ipc' }, { type: 'uts' }, { type: 'mount' }],
      maskedPaths: ['/proc/kcore', '/proc/keys', '/proc/timer_list', '/sys/firmware'],
      readonlyPaths: ['/proc/bus', '/proc/fs', '/proc/irq', '/proc/sys', '/proc/sysrq-trigger'],
    },
  };
}

/** How crun is invoked on this host. */
export interface CrunHost {
  crun: string;
  /** Prefix with sudo (the runner is not root). */
  sudo: boolean;
  /** The host has hybrid cgroups (cgroup v1 plus cgroup2 at /sys/fs/cgroup/unified). */
  hybridCgroups: boolean;
}

/**
 * True when /proc/self/mountinfo shows cgroup v1 hierarchies beside a cgroup2 mount: crun then fails with "cgroups
 * in hybrid mode not supported".
 */
export function hasHybridCgroups(mountinfo = safeRead('/proc/self/mountinfo')): boolean {
  const lines = mountinfo.split('\n');
  return lines.some((l) => / - cgroup2 /.test(l)) && lines.some((l) => / - cgroup /.test(l));
}

function safeRead(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
}

// In a private mount namespace, drop the cgroup2 mount so crun sees cgroup v1 only, then exec crun.
const HYBRID_WRAPPER = 'umount /sys/fs/cgroup/unified && exec "$0" "$@"';

/** A crun subcommand as data, wrapped for hybrid cgroups (`unshare -m`) and sudo as the host needs. */
export function crunCommand(h: CrunHost, args: string[]): Command {
  let cmd: Command = { command: h.crun, args };
  if (h.hybridCgroups) cmd = { command: 'unshare', args: ['-m', 'sh', '-c', HYBRID_WRAPPER, cmd.command, ...cmd.args] };
  if (h.sudo) cmd = { command: 'sudo', args: ['-E', cmd.command, ...cmd.args] };
  return cmd;
}

/** `crun run --bundle DIR ID`, and `crun delete --force ID` that always follows it. Source: crun(1). */
export function crunRunCommands(h: CrunHost, bundle: string, id: string): { run: Command; remove: Command } {
  return {
    run: crunCommand(h, ['run', '--bundle', bundle, id]),
    remove: crunCommand(h, ['delete', '--force', id]),
  };
}
