import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { UserError } from '@wasm-build/kit';
import { parse } from 'smol-toml';

/** A toolchain file found for a crate: where, and the channel it names (`1.83`, `stable`, `nightly-2025-01-01`). */
export interface ToolchainFile {
  path: string;
  channel: string;
  /** `targets` from the file, if any. */
  targets: string[];
}

/**
 * Finds the toolchain file rustup would honour for `dir`: `rust-toolchain.toml` or the legacy `rust-toolchain`
 * in `dir` or the nearest parent (the `.toml` wins when both exist), and reads its channel.
 * Returns undefined when there is none.
 * @throws UserError for a file that does not parse or names no channel (a `path =` toolchain is not supported).
 * Source: rustup book, "Overrides" → "The toolchain file".
 */
export function findToolchainFile(dir: string): ToolchainFile | undefined {
  for (let d = resolve(dir); ; d = dirname(d)) {
    for (const name of ['rust-toolchain.toml', 'rust-toolchain']) {
      const path = join(d, name);
      if (existsSync(path)) return readToolchainFile(path);
    }
    if (dirname(d) === d) return undefined;
  }
}

function readToolchainFile(path: string): ToolchainFile {
  const text = readFileSync(path, 'utf8');
  const bad = (why: string, cause?: unknown) =>
    new UserError(`Cannot read the toolchain file ${path}: ${why}`, {
      fix: 'Write [toolchain] channel = "1.83" (or "stable"), or pass a toolchain input',
      cause,
    });
  // A legacy `rust-toolchain` may hold just the channel name.
  if (!path.endsWith('.toml') && /^[\w.-]+\s*$/.test(text)) return { path, channel: text.trim(), targets: [] };
  let doc: Record<string, unknown>;
  try {
    doc = parse(text) as Record<string, unknown>;
  } catch (e) {
    throw bad((e as Error).message.split('\n')[0], e);
  }
  const t = doc.toolchain as { channel?: unknown; targets?: unknown } | undefined;
  if (typeof t?.channel !== 'string' || !t.channel) throw bad('no [toolchain] channel');
  const targets = Array.isArray(t.targets) ? t.targets.filter((x): x is string => typeof x === 'string') : [];
  return { path, channel: t.channel, targets };
}
