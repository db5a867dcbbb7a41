import { UserError } from '@wasm-build/kit';
import * as z from 'zod';
import { checkDigest } from './digest.ts';
import type { Descriptor } from './layout.ts';
import { LIMITS } from './limits.ts';
import {
  CONFIG_TYPES,
  IMAGE_MANIFEST_TYPES,
  INDEX_TYPES,
  LAYER_TYPES,
  MEDIA_TYPE_LAYER_GZIP,
  MEDIA_TYPES_DOCKER_SCHEMA1,
} from './media-types.ts';

// Shapes of image-spec v1.1 descriptor.md, manifest.md, image-index.md and config.md: what we read, the rest passes.
const descriptorSchema = z.looseObject({
  mediaType: z.string().max(255),
  digest: z.string().max(300),
  size: z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER),
  annotations: z.record(z.string(), z.string()).optional(),
  platform: z.looseObject({ architecture: z.string(), os: z.string(), variant: z.string().optional() }).optional(),
});
const manifestSchema = z.looseObject({
  schemaVersion: z.literal(2),
  mediaType: z.string().optional(),
  config: descriptorSchema,
  layers: z.array(descriptorSchema),
  annotations: z.record(z.string(), z.string()).optional(),
});
const indexSchema = z.looseObject({
  schemaVersion: z.literal(2),
  mediaType: z.string().optional(),
  manifests: z.array(descriptorSchema),
  annotations: z.record(z.string(), z.string()).optional(),
});
const configSchema = z.looseObject({
  os: z.string(),
  architecture: z.string(),
  config: z
    .looseObject({
      Entrypoint: z.array(z.string()).nullish(),
      Cmd: z.array(z.string()).nullish(),
      Env: z.array(z.string()).nullish(),
      WorkingDir: z.string().optional(),
    })
    .nullish(),
});

/** An image manifest as read: its media type (from the JSON, else as served), config and layers. */
export interface ParsedManifest {
  kind: 'manifest';
  mediaType: string;
  config: Descriptor;
  layers: Descriptor[];
  annotations: Record<string, string>;
}

/** An image index (or Docker manifest list) as read. */
export interface ParsedIndex {
  kind: 'index';
  mediaType: string;
  manifests: Descriptor[];
  annotations: Record<string, string>;
}

/** An image config as read (image-spec config.md): platform and the process. */
export type ImageConfig = z.output<typeof configSchema>;

function firstIssue(e: z.ZodError): string {
  const i = e.issues[0];
  return `${i.path.length ? `${i.path.join('.')}: ` : ''}${i.message}`;
}

function parseJson(bytes: Uint8Array, what: string, fix: string): unknown {
  try {
    return JSON.parse(Buffer.from(bytes).toString('utf8'));
  } catch (e) {
    throw new UserError(`${what} is not valid JSON (${bytes.length} bytes; truncated or corrupt)`, { fix, cause: e });
  }
}

const SCHEMA1_FIX =
  'Docker schema 1 manifests are deprecated and not supported; push the image again with a current tool (docker 17.03+, skopeo, oras, wasm-build), which writes OCI or Docker schema 2';

/**
 * Reads a manifest or index as served for `where` (e.g. `ghcr.io/o/a:1`): JSON, `schemaVersion: 2`, a media type we
 * read (the `mediaType` field, else `served`, the Content-Type), that field and `served` agreeing, and not both
 * `manifests` and `layers` (image-spec 1.0.2's fix for ambiguous documents, CVE-2021-41190).
 * @throws UserError naming `where`: invalid JSON, Docker schema 1, another media type, a malformed document.
 */
export function parseManifest(bytes: Uint8Array, where: string, served?: string): ParsedManifest | ParsedIndex {
  const servedType = served?.split(';')[0].trim().toLowerCase() || undefined;
  const json = parseJson(
    bytes,
    `The manifest of ${where}`,
    'The registry or layout served a corrupt manifest; check the reference, and push or write the image again',
  );
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw new UserError(`The manifest of ${where} is not a JSON object`, {
      fix: 'Check the reference names an image; push or write the image again',
    });
  }
  const m = json as Record<string, unknown>;
  const field = typeof m.mediaType === 'string' ? m.mediaType : undefined;
  const schema1 = MEDIA_TYPES_DOCKER_SCHEMA1 as readonly string[];
  if (m.schemaVersion === 1 || schema1.includes(field ?? '') || schema1.includes(servedType ?? '')) {
    throw new UserError(`The manifest of ${where} is a Docker schema 1 manifest`, { fix: SCHEMA1_FIX });
  }
  const known = [...IMAGE_MANIFEST_TYPES, ...INDEX_TYPES];
  if (field !== undefined && !known.includes(field)) {
    throw new UserError(`The manifest of ${where} has media type "${field.slice(0, 100)}", not an image or index`, {
      fix: `wasm-build runs images (${IMAGE_MANIFEST_TYPES.join(', ')}) and indexes of them; push an image, not an artifact`,
    });
  }
  if (field !== undefined && servedType && known.includes(servedType) && servedType !== field) {
    throw new UserError(`The manifest of ${where} says it is ${field} but was served as ${servedType}`, {
      fix: 'The registry or image is inconsistent; push the image again',
    });
  }
  if ('manifests' in m && ('layers' in m || 'config' in m)) {
    throw new UserError(`The manifest of ${where} is ambiguous: it has both "manifests" and "layers"/"config"`, {
      fix: 'An image is either a manifest or an index (image-spec 1.0.2); push the image again',
    });
  }
  const type = field ?? (servedType && known.includes(servedType) ? servedType : undefined);
  const isIndex = type ? INDEX_TYPES.includes(type) : 'manifests' in m;
  const malformed = (e: z.ZodError, what: string) =>
    new UserError(`The manifest of ${where} is not a valid ${what} (${firstIssue(e)})`, {
      fix: 'The registry or layout served a malformed manifest; push or write the image again',
    });
  if (isIndex) {
    const r = indexSchema.safeParse(m);
    if (!r.success) throw malformed(r.error, 'image index');
    return {
      kind: 'index',
      mediaType: type ?? INDEX_TYPES[0],
      manifests: r.data.manifests as Descriptor[],
      annotations: r.data.annotations ?? {},
    };
  }
  const r = manifestSchema.safeParse(m);
  if (!r.success) throw malformed(r.error, 'image manifest');
  return {
    kind: 'manifest',
    mediaType: type ?? IMAGE_MANIFEST_TYPES[0],
    config: r.data.config as Descriptor,
    layers: r.data.layers as Descriptor[],
    annotations: r.data.annotations ?? {},
  };
}

/**
 * Checks what an image manifest points at before anything is fetched: a config of an image-config media type, at
 * most `LIMITS.layers` layers of distributable layer media types, every digest valid, every size within its limit.
 * @throws UserError naming the descriptor, the offending value and the limit.
 */
export function checkManifestDescriptors(m: ParsedManifest, where: string): void {
  checkDescriptor(m.config, `the config descriptor of ${where}`, CONFIG_TYPES, LIMITS.configBytes, 'image config');
  if (m.layers.length > LIMITS.layers) {
    throw new UserError(`${where} has ${m.layers.length} layers, more than the ${LIMITS.layers} allowed`, {
      fix: 'A wasm image needs one layer; build it with wasm-build image',
    });
  }
  let total = 0;
  for (const [i, l] of m.layers.entries()) {
    checkDescriptor(l, `the layer ${i} descriptor of ${where}`, LAYER_TYPES, LIMITS.layerBytes, 'layer');
    total += l.size;
  }
  if (total > LIMITS.imageBytes) {
    throw new UserError(`The layers of ${where} add up to ${total} bytes, more than the ${LIMITS.imageBytes} allowed`, {
      fix: 'A wasm image holds one module; build it with wasm-build image',
    });
  }
}

/**
 * Checks one descriptor: its media type is one of `types`, its digest valid (`checkDigest`) and its size at most `max`.
 * @throws UserError naming `where`.
 */
export function checkDescriptor(
  d: Descriptor,
  where: string,
  types: readonly string[],
  max: number,
  kind: string,
): void {
  checkDigest(d.digest, where);
  if (!types.includes(d.mediaType)) {
    throw new UserError(`Unsupported media type "${d.mediaType.slice(0, 100)}" for the ${kind} in ${where}`, {
      fix: `A runnable image uses ${types.join(' or ')} here (e.g. ${kind === 'layer' ? MEDIA_TYPE_LAYER_GZIP : types[0]}); rebuild it with wasm-build image`,
    });
  }
  if (d.size > max) {
    throw new UserError(`The ${kind} in ${where} is ${d.size} bytes, more than the ${max} allowed`, {
      fix: 'Check the image; a wasm image is far smaller',
    });
  }
}

/**
 * Reads an image config blob (image-spec config.md): JSON with `os`, `architecture` and the process fields.
 * @throws UserError naming `where` for invalid JSON or a malformed config.
 */
export function parseImageConfig(bytes: Uint8Array, where: string): ImageConfig {
  const json = parseJson(bytes, `The config of ${where}`, 'The image config is corrupt; push or write the image again');
  const r = configSchema.safeParse(json);
  if (!r.success) {
    throw new UserError(`The config of ${where} is not a valid image config (${firstIssue(r.error)})`, {
      fix: 'The image config is malformed; push or write the image again',
    });
  }
  return r.data;
}
