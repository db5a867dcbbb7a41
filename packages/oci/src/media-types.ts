// OCI image-spec media types (image-spec v1.1 media-types.md), their Docker v2 equivalents
// (distribution/distribution docs/spec/manifest-v2-2.md), and the annotations we set.
import type { Descriptor } from './layout.ts';

export const MEDIA_TYPE_INDEX = 'application/vnd.oci.image.index.v1+json';
export const MEDIA_TYPE_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
export const MEDIA_TYPE_CONFIG = 'application/vnd.oci.image.config.v1+json';
export const MEDIA_TYPE_LAYER_TAR = 'application/vnd.oci.image.layer.v1.tar';
export const MEDIA_TYPE_LAYER_GZIP = 'application/vnd.oci.image.layer.v1.tar+gzip';
export const MEDIA_TYPE_LAYER_ZSTD = 'application/vnd.oci.image.layer.v1.tar+zstd';
export const MEDIA_TYPE_DOCKER_MANIFEST = 'application/vnd.docker.distribution.manifest.v2+json';
export const MEDIA_TYPE_DOCKER_LIST = 'application/vnd.docker.distribution.manifest.list.v2+json';
export const MEDIA_TYPE_DOCKER_CONFIG = 'application/vnd.docker.container.image.v1+json';
export const MEDIA_TYPE_DOCKER_LAYER = 'application/vnd.docker.image.rootfs.diff.tar.gzip';
/** Docker schema 1 (deprecated, removed from distribution 3): signed or not. */
export const MEDIA_TYPES_DOCKER_SCHEMA1 = [
  'application/vnd.docker.distribution.manifest.v1+json',
  'application/vnd.docker.distribution.manifest.v1+prettyjws',
] as const;

/** What may be served at `/manifests/<ref>` and be read as one image: an image manifest, OCI or Docker v2. */
export const IMAGE_MANIFEST_TYPES: readonly string[] = [MEDIA_TYPE_MANIFEST, MEDIA_TYPE_DOCKER_MANIFEST];
/** What may be served at `/manifests/<ref>` and list images by platform: an OCI index or a Docker manifest list. */
export const INDEX_TYPES: readonly string[] = [MEDIA_TYPE_INDEX, MEDIA_TYPE_DOCKER_LIST];
/** A runnable image's config: OCI image config or Docker's container image config. */
export const CONFIG_TYPES: readonly string[] = [MEDIA_TYPE_CONFIG, MEDIA_TYPE_DOCKER_CONFIG];
/**
 * Distributable filesystem layers (image-spec layer.md; manifest-v2-2.md). The non-distributable ("foreign") types are
 * left out: their blobs live at `urls` outside the registry, which we never fetch from.
 */
export const LAYER_TYPES: readonly string[] = [
  MEDIA_TYPE_LAYER_TAR,
  MEDIA_TYPE_LAYER_GZIP,
  MEDIA_TYPE_LAYER_ZSTD,
  MEDIA_TYPE_DOCKER_LAYER,
];
/** The Accept header of a manifest GET: every manifest and index type above. */
export const MANIFEST_ACCEPT = [...IMAGE_MANIFEST_TYPES, ...INDEX_TYPES].join(', ');

/** crun's wasm handler selector (containers/crun src/libcrun/handlers/handler-utils.c). */
export const WASM_VARIANT_ANNOTATION = 'module.wasm.image/variant';
export const WASM_VARIANT = 'compat-smart';
/** OCI image-spec annotations.md: the tag of a manifest inside a layout's index.json. */
export const REF_NAME_ANNOTATION = 'org.opencontainers.image.ref.name';

/** The platform of every image we build: podman and CRI-O pick crun-wasm by it. */
export const WASM_PLATFORM = { architecture: 'wasm', os: 'wasi' } as const;

/** image-spec v1.1 manifest.md "Guidance for an Empty Descriptor": the config of an artifact with no config. */
export const MEDIA_TYPE_EMPTY = 'application/vnd.oci.empty.v1+json';
/** The empty config's descriptor: the two bytes `{}`. */
export const EMPTY_DESCRIPTOR: Readonly<Descriptor> = Object.freeze({
  mediaType: MEDIA_TYPE_EMPTY,
  digest: 'sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a',
  size: 2,
});
