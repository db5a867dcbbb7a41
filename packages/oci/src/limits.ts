// How much a registry, a layout or a layer may make us read, hold or wait for. Every number has its reason.
const KiB = 1024;
const MiB = 1024 * KiB;
const GiB = 1024 * MiB;

/**
 * Size, count and time limits on what we read from registries, layouts and layers (bytes unless named otherwise).
 * Sources: distribution/distribution registry/handlers/manifests.go (`maxManifestBodySize = 4 << 20`);
 * containers/image pkg/docker/internal/iolimits (manifest and config 4 MiB, auth token and error bodies 1 MiB);
 * moby daemon/graphdriver/overlay2 (`maxDepth = 128` layers); V8 wasm-limits.h (`kV8MaxWasmModuleSize`, 1 GiB).
 */
export const LIMITS = {
  /** A manifest or index, as distribution's registry accepts it on push. */
  manifestBytes: 4 * MiB,
  /** An image config blob. */
  configBytes: 4 * MiB,
  /** A token service's answer. */
  tokenBytes: 1 * MiB,
  /** Any other JSON or error body we read. */
  jsonBytes: 1 * MiB,
  /** Pages of one referrers list followed (each link `rel="next"`); the pages together are at most `manifestBytes`. */
  referrersPages: 64,
  /** `/tags/list`: a few tens of thousands of tags. */
  tagListBytes: 4 * MiB,
  /** One compressed layer, held in memory: no engine runs a module over 1 GiB. */
  layerBytes: 1 * GiB,
  /** Every layer of an image together. */
  imageBytes: 1 * GiB,
  /** Layers in one image (docker's overlay2 limit). */
  layers: 128,
  /**
   * How much larger than its compressed size a layer may decompress to. Measured: wasm modules gzip 2.5x to 3.8x
   * (every module of the shared corpus); 32x leaves an 8-fold margin, and refuses any bomb (gzip reaches ~1032x).
   */
  layerRatio: 32,
  /** A layer may always decompress to this much: tar headers and padding of a tiny layer compress ~100x. */
  layerTarFloor: 16 * MiB,
  /** No layer decompresses to more than this, whatever its size. */
  layerTarBytes: 1 * GiB,
  /** Redirects followed for one request (a blob to its storage usually takes one). */
  redirects: 5,
  /** Slowest average rate a blob may arrive at, bytes/s: its deadline is the timeout plus its size at this rate. */
  minBlobRate: 256 * KiB,
  /** Default per-request timeout, ms; `RegistryOptions.timeoutMs` may set 1 ms to `maxTimeoutMs`. */
  timeoutMs: 30_000,
  /** The longest per-request timeout accepted, ms (10 min; Node timers overflow past 2^31-1 ms, ~24.8 days). */
  maxTimeoutMs: 600_000,
} as const;
