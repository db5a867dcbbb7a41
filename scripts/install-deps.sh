#!/usr/bin/env bash
# Installs what wasm-build's main job and its tests need on Debian 12 (bookworm), the machine CI runs on:
# Debian's Rust 1.63 with the wasm32-wasi std (and lld-14, which its rust-lld links to), binaryen (wasm-opt),
# wabt (differential tests), the CNCF distribution registry, skopeo and umoci; for the push and smoke tests, htpasswd
# (apache2-utils), crun with a static busybox payload, and xz. Idempotent; run as root or with sudo.
set -euo pipefail

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi

PACKAGES=(rustc cargo libstd-rust-dev-wasm32 lld-14 binaryen wabt docker-registry skopeo umoci git apache2-utils crun busybox-static xz-utils)

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  echo "install-deps: apt-get install ${missing[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# The Debian toolchain is reachable as /usr (bin/cargo, bin/rustc) without rustup. Where rustup manages Rust too,
# link it as "debian" so `cargo +debian` and `--toolchain debian` work; rustup's own default stays as it is.
if command -v rustup >/dev/null 2>&1; then
  if ! rustup toolchain list | grep -q '^debian'; then rustup toolchain link debian /usr; fi
fi
echo "install-deps: ok ($(/usr/bin/rustc --version), $(wasm-opt --version), $(skopeo --version))"
