// OCI image-spec media types (image-spec v1.1 media-types.md) and the annotations we set.
export const MEDIA_TYPE_INDEX = 'application/vnd.oci.image.index.v1+json';
export const MEDIA_TYPE_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
export const MEDIA_TYPE_CONFIG = 'application/vnd.oci.image.config.v1+json';
export const MEDIA_TYPE_LAYER_GZIP = 'application/vnd.oci.image.layer.v1.tar+gzip';
export const MEDIA_TYPE_DOCKER_MANIFEST = 'application/vnd.docker.distribution.manifest.v2+json';
export const MEDIA_TYPE_DOCKER_LIST = 'application/vnd.docker.distribution.manifest.list.v2+json';

/** crun's wasm handler selector (containers/crun src/libcrun/handlers/handler-utils.c). */
export const WASM_VARIANT_ANNOTATION = 'module.wasm.image/variant';
export const WASM_VARIANT = 'compat-smart';
/** OCI image-spec annotations.md: the tag of a manifest inside a layout's index.json. */
export const REF_NAME_ANNOTATION = 'org.opencontainers.image.ref.name';

/** The platform of every image we build: podman and CRI-O pick crun-wasm by it. */
export const WASM_PLATFORM = { architecture: 'wasm', os: 'wasi' } as const;
