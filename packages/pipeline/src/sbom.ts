import { createHash } from 'node:crypto';
import { type Command, exec, formatCommand, isSecretEnv, lastLines, UserError } from '@wasm-build/kit';
import { parse as parseToml } from 'smol-toml';
import * as z from 'zod';
import { canonicalJson, rfc3339 } from './provenance.ts';

/** `$schema` of the SBOM: CycloneDX 1.5 JSON. Source: cyclonedx.org/docs/1.5/json. */
export const CYCLONEDX_SCHEMA = 'http://cyclonedx.org/schema/bom-1.5.schema.json';

/** Property (metadata.properties) naming the image manifest digest the SBOM describes. */
export const SBOM_SUBJECT_DIGEST_PROPERTY = 'wasm-build:subject:digest';
/** Property (metadata.properties) naming the image repository the SBOM describes, when it was pushed. */
export const SBOM_SUBJECT_NAME_PROPERTY = 'wasm-build:subject:name';

/** How much of cargo's output we read; more is refused, not truncated (a half-read graph would be a wrong SBOM). */
export const SBOM_LIMITS = {
  /** Packages in `cargo metadata` (a large workspace with every dependency has a few thousand). */
  packages: 50_000,
  /** Dependency edges of one resolve node, and in all. */
  depsPerNode: 10_000,
  edges: 1_000_000,
  /** Length of one string (an id holds a path or a git URL). */
  string: 8192,
  /** Cargo.lock, characters. */
  lockfile: 32 << 20,
  /** `cargo metadata`'s stdout, bytes. */
  metadataBytes: 64 << 20,
} as const;

const str = z.string().max(SBOM_LIMITS.string);
const optStr = str.nullish();
// Only what the SBOM reads; cargo writes more (targets, features, …), which is ignored.
const cargoMetadataSchema = z.object({
  version: z.literal(1),
  packages: z
    .array(
      z.object({
        name: str,
        version: str,
        id: str,
        source: optStr,
        license: optStr,
        description: optStr,
      }),
    )
    .max(SBOM_LIMITS.packages),
  workspace_members: z.array(str).max(SBOM_LIMITS.packages),
  resolve: z
    .object({
      root: optStr,
      nodes: z
        .array(
          z.object({
            id: str,
            dependencies: z.array(str).max(SBOM_LIMITS.depsPerNode),
            deps: z
              .array(
                z.object({
                  pkg: str,
                  dep_kinds: z
                    .array(z.object({ kind: z.string().max(32).nullable() }))
                    .max(64)
                    .optional(),
                }),
              )
              .max(SBOM_LIMITS.depsPerNode)
              .optional(),
          }),
        )
        .max(SBOM_LIMITS.packages),
    })
    .nullable(),
});

type CargoMetadata = z.output<typeof cargoMetadataSchema>;
type CargoPackage = CargoMetadata['packages'][number];

/** Options of `sbomFromCargoMetadata`. */
export interface SbomOptions {
  /** The image manifest digest the SBOM describes (`sha256:<64 hex>`): property `wasm-build:subject:digest`. */
  subjectDigest: string;
  /** The image repository (`ghcr.io/org/app`), when pushed: property `wasm-build:subject:name`. */
  subjectName?: string;
  /** `metadata.timestamp`, seconds since 1970: SOURCE_DATE_EPOCH (0 when unset), never the wall clock. */
  created: number;
  /**
   * The crate that was built, a workspace member: its package name (`[package] name`, not a bin's name) or its cargo
   * package id (`CargoBuildResult.packageId`, exact when two members share a name). `metadata.component`, the root.
   */
  rootName: string;
  /** wasm-build's version, in `metadata.tools`; left out when absent. */
  toolVersion?: string;
}

/**
 * A CycloneDX 1.5 JSON SBOM of the crate's dependency graph, as canonical JSON bytes (`canonicalJson`: sorted keys,
 * no whitespace), from `cargo metadata --format-version 1` output (parsed JSON) and the crate's Cargo.lock text.
 *
 * - `metadata.component`: the crate `rootName` names (type `application`, the module is built from it).
 *   `components`: every package it depends on, directly or not, through normal and build dependencies (edges that
 *   are only dev-dependencies are not followed: they are not part of what was built), sorted by `bom-ref`.
 * - Each component: `name`, `version`, `purl` (`pkg:cargo/<name>@<version>`; a git source adds `?vcs_url=`, another
 *   registry `?repository_url=`), `bom-ref` (the purl, `#2`… added when two sources give the same one), `licenses`
 *   (cargo's `license` as one SPDX expression; the old `MIT/Apache-2.0` form becomes `MIT OR Apache-2.0`), `hashes`
 *   (Cargo.lock's `checksum`, the sha256 of the `.crate` file, as SHA-256), `externalReferences` (crates.io:
 *   `distribution` = its download URL; another registry: `distribution` = its index; git: `vcs` = the source URL;
 *   path dependencies: none, a path on this machine is no reference).
 * - `dependencies`: one entry per component and the root, `dependsOn` sorted.
 * - The subject: `metadata.properties` `wasm-build:subject:digest` (the image manifest digest) and
 *   `wasm-build:subject:name` (the repository). CycloneDX has no field for "the artifact this BOM was made for" other
 *   than `metadata.component`, which is the crate here; a property says it without claiming the crate's hash is the
 *   image's.
 * - `metadata.timestamp`: `created` in RFC 3339. `serialNumber`: `urn:uuid:` of an RFC 4122 version-5 UUID (SHA-1,
 *   URL namespace) of `wasm-build:sbom:<subjectDigest>:<sha256 of the SBOM without its serialNumber>`: the same
 *   graph for the same image always gets the same serial, a different graph a different one.
 *
 * Nothing in it names the machine or the run: no absolute path, no time but `created`. The same inputs give the same
 * bytes.
 *
 * @throws UserError when the metadata does not have cargo's shape (the first problem and its path), exceeds
 *   `SBOM_LIMITS`, or names a dependency it does not list; when Cargo.lock is not TOML or too large; when `rootName`
 *   is not a workspace member (the members are listed).
 * @throws Error for a malformed `subjectDigest` or `created` (internal: the pipeline computed them).
 * Source: CycloneDX 1.5 JSON reference (cyclonedx.org/docs/1.5/json); package-url purl-spec (PURL-TYPES: cargo);
 * The Cargo Book, "cargo metadata" (JSON format) and "The Manifest Format" (license); RFC 4122 §4.3.
 */
export function sbomFromCargoMetadata(metadata: unknown, lockfile: string, o: SbomOptions): Uint8Array {
  if (!/^sha256:[a-f0-9]{64}$/.test(o.subjectDigest)) {
    throw new Error(`sbomFromCargoMetadata: subjectDigest must be sha256:<64 lowercase hex>: got "${o.subjectDigest}"`);
  }
  if (!Number.isInteger(o.created) || o.created < 0 || o.created > 253402300799) {
    throw new Error(`sbomFromCargoMetadata: created must be whole seconds from 0 to 253402300799: got ${o.created}`);
  }
  const parsed = cargoMetadataSchema.safeParse(metadata);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new UserError(
      `cargo metadata output has an unexpected shape at ${['$', ...issue.path].join('.')}: ${issue.message}`,
      {
        fix: 'Pass the output of `cargo metadata --format-version 1 --locked`; a cargo this old or this new is not supported',
      },
    );
  }
  const md = parsed.data;
  const checksums = lockfileChecksums(lockfile);
  const byId = new Map(md.packages.map((p) => [p.id, p]));

  const rootId =
    md.workspace_members.find((id) => id === o.rootName) ??
    md.workspace_members.find((id) => byId.get(id)?.name === o.rootName);
  if (!rootId) {
    const members = md.workspace_members.map((id) => byId.get(id)?.name ?? id).sort();
    throw new UserError(`The crate "${o.rootName}" is not a member of the cargo workspace`, {
      fix: `Name one of: ${members.join(', ') || '(none)'}`,
    });
  }

  // Edges that are not only dev-dependencies, from cargo's resolve (all of them when cargo gives no dep kinds).
  const edges = new Map<string, string[]>();
  let total = 0;
  for (const node of md.resolve?.nodes ?? []) {
    const targets = node.deps
      ? node.deps.filter((d) => !d.dep_kinds || d.dep_kinds.some((k) => k.kind !== 'dev')).map((d) => d.pkg)
      : node.dependencies;
    total += targets.length;
    if (total > SBOM_LIMITS.edges) {
      throw new UserError(`cargo metadata lists more than ${SBOM_LIMITS.edges} dependency edges`, {
        fix: 'Build a smaller crate, or raise SBOM_LIMITS.edges',
      });
    }
    for (const t of [node.id, ...targets]) {
      if (!byId.has(t)) {
        throw new UserError(`cargo metadata's resolve names a package it does not list: ${JSON.stringify(t)}`, {
          fix: 'Pass the output of one `cargo metadata --format-version 1` run, unedited',
        });
      }
    }
    edges.set(node.id, targets);
  }

  // Everything reachable from the root.
  const reached = new Set<string>([rootId]);
  const queue = [rootId];
  while (queue.length) {
    for (const next of edges.get(queue.pop()!) ?? []) {
      if (!reached.has(next)) {
        reached.add(next);
        queue.push(next);
      }
    }
  }

  // bom-refs: the purl, made unique in a fixed order (purl, then source) when two packages share one.
  const refs = new Map<string, string>();
  const used = new Map<string, number>();
  const ordered = [...reached]
    .map((id) => byId.get(id)!)
    .map((p) => ({ p, purl: purlOf(p) }))
    .sort((a, b) => cmp(a.purl, b.purl) || cmp(a.p.source ?? '', b.p.source ?? '') || cmp(a.p.id, b.p.id));
  for (const { p, purl } of ordered) {
    const n = (used.get(purl) ?? 0) + 1;
    used.set(purl, n);
    refs.set(p.id, n === 1 ? purl : `${purl}#${n}`);
  }

  const component = (p: CargoPackage, type: 'application' | 'library') => {
    const checksum = p.source ? checksums.get(lockKey(p.name, p.version, p.source)) : undefined;
    const ext = externalReference(p);
    return {
      type,
      'bom-ref': refs.get(p.id)!,
      name: p.name,
      version: p.version,
      purl: purlOf(p),
      ...(p.license ? { licenses: [{ expression: spdxExpression(p.license) }] } : {}),
      ...(checksum ? { hashes: [{ alg: 'SHA-256', content: checksum }] } : {}),
      ...(ext ? { externalReferences: [ext] } : {}),
    };
  };
  const root = byId.get(rootId)!;
  const components = ordered.filter(({ p }) => p.id !== rootId).map(({ p }) => component(p, 'library'));
  const dependencies = ordered
    .map(({ p }) => ({
      ref: refs.get(p.id)!,
      dependsOn: [...new Set((edges.get(p.id) ?? []).map((t) => refs.get(t)!))].sort(cmp),
    }))
    .sort((a, b) => cmp(a.ref, b.ref));

  const properties = [
    { name: SBOM_SUBJECT_DIGEST_PROPERTY, value: o.subjectDigest },
    ...(o.subjectName ? [{ name: SBOM_SUBJECT_NAME_PROPERTY, value: o.subjectName }] : []),
  ];
  const bom: Record<string, unknown> = {
    $schema: CYCLONEDX_SCHEMA,
    bomFormat: 'CycloneDX',
    specVersion: '1.5',
    version: 1,
    metadata: {
      timestamp: rfc3339(o.created),
      lifecycles: [{ phase: 'build' }],
      tools: {
        components: [{ type: 'application', name: 'wasm-build', ...(o.toolVersion ? { version: o.toolVersion } : {}) }],
      },
      component: component(root, 'application'),
      properties,
    },
    components,
    dependencies,
  };
  const body = canonicalJson(bom);
  const contentHash = createHash('sha256').update(body).digest('hex');
  bom.serialNumber = `urn:uuid:${uuidV5(URL_NAMESPACE, `wasm-build:sbom:${o.subjectDigest}:sha256:${contentHash}`)}`;
  return new TextEncoder().encode(canonicalJson(bom));
}

/** RFC 4122 Appendix C: the name space for URLs. */
const URL_NAMESPACE = '6ba7b811-9dad-11d1-80b4-00c04fd430c8';

/** An RFC 4122 §4.3 name-based UUID, version 5 (SHA-1), in lowercase. */
export function uuidV5(namespace: string, name: string): string {
  const ns = Buffer.from(namespace.replace(/-/g, ''), 'hex');
  const h = createHash('sha1').update(ns).update(name, 'utf8').digest().subarray(0, 16);
  h[6] = (h[6] & 0x0f) | 0x50;
  h[8] = (h[8] & 0x3f) | 0x80;
  const x = h.toString('hex');
  return `${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20)}`;
}

const CRATES_IO = new Set(['registry+https://github.com/rust-lang/crates.io-index', 'sparse+https://index.crates.io/']);

/** Cargo's own query keys in a git source (The Cargo Book, "Specifying dependencies from git repositories"). */
const GIT_QUERY_KEYS = new Set(['branch', 'tag', 'rev']);

/**
 * A cargo source (`git+URL?rev=…#commit`, `registry+URL`, `sparse+URL`) as it may be published: without userinfo
 * (a token in `https://x-access-token:…@host/…`), with only cargo's own query keys and a commit hash as fragment.
 * Undefined when the URL does not parse: then nothing of it is written.
 */
export function publicCargoSource(source: string): string | undefined {
  const m = /^(git\+|registry\+|sparse\+)?(.*)$/s.exec(source);
  let url: URL;
  try {
    url = new URL(m?.[2] ?? '');
  } catch {
    return undefined;
  }
  url.username = '';
  url.password = '';
  for (const key of [...url.searchParams.keys()]) if (!GIT_QUERY_KEYS.has(key)) url.searchParams.delete(key);
  if (url.hash && !/^#[0-9a-f]{7,64}$/.test(url.hash)) url.hash = '';
  return `${m?.[1] ?? ''}${url.href}`;
}

function purlOf(p: CargoPackage): string {
  const base = `pkg:cargo/${encodeURIComponent(p.name)}@${encodeURIComponent(p.version)}`;
  const s = p.source && !CRATES_IO.has(p.source) ? publicCargoSource(p.source) : undefined;
  if (!s) return base;
  if (s.startsWith('git+')) return `${base}?vcs_url=${encodeURIComponent(s)}`;
  const index = s.replace(/^(registry|sparse)\+/, '');
  return `${base}?repository_url=${encodeURIComponent(index)}`;
}

function externalReference(p: CargoPackage): { type: string; url: string; comment?: string } | undefined {
  if (!p.source) return undefined;
  if (CRATES_IO.has(p.source)) {
    // https://doc.rust-lang.org/cargo/reference/registry-index.html#index-configuration: crates.io's "dl".
    const url = `https://crates.io/api/v1/crates/${encodeURIComponent(p.name)}/${encodeURIComponent(p.version)}/download`;
    return { type: 'distribution', url };
  }
  const s = publicCargoSource(p.source);
  if (!s) return undefined;
  if (s.startsWith('git+')) return { type: 'vcs', url: s };
  if (/^(registry|sparse)\+/.test(s)) {
    return { type: 'distribution', url: s.replace(/^(registry|sparse)\+/, ''), comment: 'Cargo registry index' };
  }
  return undefined;
}

/**
 * Cargo's `license` as an SPDX expression: the deprecated `/` separator means OR (The Cargo Book, "The Manifest
 * Format": "Previously multiple licenses could be separated with a `/`").
 */
function spdxExpression(license: string): string {
  return license
    .split('/')
    .map((s) => s.trim())
    .filter(Boolean)
    .join(' OR ');
}

function lockKey(name: string, version: string, source: string): string {
  return `${name}\0${version}\0${source}`;
}

const lockSchema = z.object({
  package: z
    .array(
      z.object({
        name: str,
        version: str,
        source: str.optional(),
        checksum: z
          .string()
          .regex(/^[a-f0-9]{64}$/)
          .optional(),
      }),
    )
    .max(SBOM_LIMITS.packages)
    .optional(),
  // Lockfile v1: checksums in [metadata] as "checksum NAME VERSION (SOURCE)" = "HEX".
  metadata: z.record(z.string(), z.unknown()).optional(),
});

/** Cargo.lock's checksums by name, version and source (v1's `[metadata]` table, or v2+ `checksum` keys). */
function lockfileChecksums(text: string): Map<string, string> {
  if (text.length > SBOM_LIMITS.lockfile) {
    throw new UserError(`Cargo.lock is ${text.length} characters, more than the ${SBOM_LIMITS.lockfile} we read`, {
      fix: 'Pass the crate’s own Cargo.lock',
    });
  }
  let doc: unknown;
  try {
    doc = parseToml(text);
  } catch (e) {
    throw new UserError(`Cargo.lock is not valid TOML: ${e instanceof Error ? e.message.split('\n')[0] : String(e)}`, {
      fix: 'Regenerate it with `cargo generate-lockfile`',
      cause: e,
    });
  }
  const parsed = lockSchema.safeParse(doc);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new UserError(`Cargo.lock has an unexpected shape at ${['$', ...issue.path].join('.')}: ${issue.message}`, {
      fix: 'Regenerate it with `cargo generate-lockfile`',
    });
  }
  const out = new Map<string, string>();
  for (const p of parsed.data.package ?? []) {
    if (p.source && p.checksum) out.set(lockKey(p.name, p.version, p.source), p.checksum);
  }
  for (const [k, v] of Object.entries(parsed.data.metadata ?? {})) {
    const m = /^checksum (\S+) (\S+) \((.+)\)$/.exec(k);
    if (m && typeof v === 'string' && /^[a-f0-9]{64}$/.test(v)) out.set(lockKey(m[1], m[2], m[3]), v);
  }
  return out;
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Options of `cargoMetadataCommand` and `cargoMetadata`. */
export interface CargoMetadataOptions {
  /** Add `--offline` (after a build every crate is on disk; no network then). */
  offline?: boolean;
  /** `--filter-platform TRIPLE`: only dependencies for that target (e.g. the wasm target). */
  filterPlatform?: string;
}

/**
 * The `cargo metadata --format-version 1 --locked --manifest-path PATH` command, as data. `cargo` is the cargo
 * command (`Toolchain.cargo`, e.g. `cargo +debian`, or a path). `env` is added to the child's environment without
 * any variable `isSecretEnv` names (so passing `process.env` leaks no token): pass `Toolchain.env` (RUSTC).
 * Source: The Cargo Book, "cargo metadata".
 */
export function cargoMetadataCommand(
  cargo: string | Command,
  manifestPath: string,
  env: Record<string, string | undefined> = {},
  o: CargoMetadataOptions = {},
): Command {
  const base = typeof cargo === 'string' ? { command: cargo, args: [] } : cargo;
  const args = [...base.args, 'metadata', '--format-version', '1', '--locked', '--manifest-path', manifestPath];
  if (o.offline) args.push('--offline');
  if (o.filterPlatform) args.push('--filter-platform', o.filterPlatform);
  const childEnv: Record<string, string> = {};
  for (const [k, v] of Object.entries({ ...base.env, ...env })) if (v !== undefined && !isSecretEnv(k)) childEnv[k] = v;
  return { command: base.command, args, ...(Object.keys(childEnv).length ? { env: childEnv } : {}) };
}

/**
 * Runs `cargoMetadataCommand` and returns its parsed JSON (unvalidated: `sbomFromCargoMetadata` checks the shape).
 * Reads at most `SBOM_LIMITS.metadataBytes` of stdout; gives up after 5 minutes.
 * @throws UserError when cargo fails (command, exit code, last stderr lines; `--locked` fails on a Cargo.lock that is
 *   missing or out of date), writes more than the limit, or writes what is not JSON.
 */
export async function cargoMetadata(
  cargo: string | Command,
  manifestPath: string,
  env: Record<string, string | undefined> = {},
  o: CargoMetadataOptions = {},
): Promise<unknown> {
  const cmd = cargoMetadataCommand(cargo, manifestPath, env, o);
  const r = await exec.run(cmd, { maxOutputBytes: SBOM_LIMITS.metadataBytes + 1, timeoutMs: 300_000 });
  if (r.exitCode !== 0) {
    throw new UserError(
      `cargo metadata failed (exit code ${r.exitCode}): ${formatCommand(cmd)}: ${lastLines(r.stderr || r.stdout, 3)}`,
      { fix: 'Check that Cargo.lock exists and is up to date (cargo generate-lockfile, then commit it)' },
    );
  }
  if (r.truncated?.stdout) {
    throw new UserError(`cargo metadata wrote more than ${SBOM_LIMITS.metadataBytes} bytes: ${formatCommand(cmd)}`, {
      fix: 'Build a smaller crate, or raise SBOM_LIMITS.metadataBytes',
    });
  }
  try {
    return JSON.parse(r.stdout);
  } catch (e) {
    throw new UserError(`cargo metadata wrote what is not JSON: ${JSON.stringify(r.stdout.slice(0, 200))}`, {
      fix: 'Run the same command by hand; a cargo wrapper that prints to stdout breaks it',
      cause: e,
    });
  }
}
