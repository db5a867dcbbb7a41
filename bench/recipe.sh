#!/usr/bin/env bash
# The hand-written recipe bench/pipeline.ts measures our main job against: the same work on a crate as a person would
# script it with the stock tools, one command per stage.
#   build     cargo build --release --target wasm32-wasi, Debian's toolchain (/usr/bin/cargo, rustc 1.63; the target
#             is hard-coded, as a recipe would: wasm32-wasi before Rust 1.78, wasm32-wasip1 from it)
#   optimize  wasm-opt -Oz (binaryen)
#   verify    wasm-validate (wabt)
#   image     buildah bud of a FROM scratch Containerfile, --platform wasi/wasm and the manifest annotation
#             module.wasm.image/variant=compat-smart
#   push      buildah push to the registry (plain HTTP: --tls-verify=false), the digest it pushed from --digestfile
#   run       the module under node:wasi (WasmEdge, the recipe's usual runtime, cannot be installed here; node is the
#             runtime our job's smoke test uses here), stdout checked for the expected line
#
# Usage: bench/recipe.sh CRATE_DIR REGISTRY_HOST:PORT STATE_DIR
#   STATE_DIR holds buildah's private storage (--root/--runroot, vfs driver), its signature policy and registries.conf,
#   and the optimized module: nothing global is read or changed. Needs: apt-get install buildah binaryen wabt cargo
#   libstd-rust-dev-wasm32 lld-14, and node. buildah runs rootless-style here (--isolation chroot, --storage-driver vfs).
set -euo pipefail
crate=$1
registry=$2
state=$3
mkdir -p "$state"
[ -f "$state/policy.json" ] || echo '{"default":[{"type":"insecureAcceptAnything"}]}' >"$state/policy.json"
[ -f "$state/registries.conf" ] || echo 'unqualified-search-registries = []' >"$state/registries.conf"
export CONTAINERS_REGISTRIES_CONF="$state/registries.conf"
buildah=(buildah --root "$state/root" --runroot "$state/run" --storage-driver vfs)

# build
RUSTC=/usr/bin/rustc /usr/bin/cargo build --quiet --release --target wasm32-wasi --manifest-path "$crate/Cargo.toml"
name=$(sed -n 's/^name *= *"\(.*\)"/\1/p' "$crate/Cargo.toml" | head -n1)

# optimize, verify
mkdir -p "$state/context"
wasm-opt -Oz "$crate/target/wasm32-wasi/release/$name.wasm" -o "$state/context/$name.wasm"
wasm-validate "$state/context/$name.wasm"

# image
printf 'FROM scratch\nCOPY %s.wasm /%s.wasm\nENTRYPOINT ["/%s.wasm"]\n' "$name" "$name" "$name" >"$state/context/Containerfile"
"${buildah[@]}" bud --quiet --isolation chroot --signature-policy "$state/policy.json" --platform wasi/wasm \
  --annotation module.wasm.image/variant=compat-smart -t "localhost/$name:latest" -f "$state/context/Containerfile" \
  "$state/context" >/dev/null

# push
"${buildah[@]}" push --quiet --signature-policy "$state/policy.json" --tls-verify=false --digestfile "$state/digest" \
  "localhost/$name:latest" "docker://$registry/recipe/$name:latest"

# run
out=$(node --no-warnings --input-type=module -e '
import { readFileSync } from "node:fs";
import { WASI } from "node:wasi";
const [file, argv0] = process.argv.slice(1);
const wasi = new WASI({ version: "preview1", args: [argv0, "world"], env: { GREETING: "hi" }, returnOnExit: true });
const { instance } = await WebAssembly.instantiate(readFileSync(file), wasi.getImportObject());
process.exitCode = wasi.start(instance);
' "$state/context/$name.wasm" "/$name.wasm")
case $out in
*"Hello from wasm-build!"*) ;;
*) echo "recipe: unexpected stdout: $out" >&2; exit 1 ;;
esac
echo "recipe: $registry/recipe/$name@$(cat "$state/digest")"
