#!/usr/bin/env bash
# Installs what the project needs, idempotently; fast when everything is present.
#   scripts/setup.sh build    the wasm toolchain and the npm dev dependencies
#   scripts/setup.sh server   redis, Chromium and the Python venv with dioptra-platform
#   scripts/setup.sh matrix   the pinned bundlers and runtimes of pkg-tests/matrix.test.mjs
#   scripts/setup.sh          all three
set -euo pipefail
cd "$(dirname "$0")/.."

what="${1:-all}"

setup_build() {
  if ! command -v cargo >/dev/null; then
    echo "setup: cargo is missing: install Rust with rustup first" >&2
    exit 1
  fi
  if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
    echo "setup: adding the wasm32-unknown-unknown target"
    rustup target add wasm32-unknown-unknown
  fi
  # The CLI must be exactly the version the crate pins.
  local version
  version=$(sed -n 's/^wasm-bindgen = "=\([0-9.]*\)"/\1/p' Cargo.toml)
  if [ "$(wasm-bindgen --version 2>/dev/null)" != "wasm-bindgen $version" ]; then
    echo "setup: installing wasm-bindgen-cli $version (a few minutes)"
    # --locked first; without it when a locked dependency is no longer on the registry.
    cargo install wasm-bindgen-cli --version "$version" --locked --force 2>/dev/null ||
      cargo install wasm-bindgen-cli --version "$version" --force
  fi
  local stamp=node_modules/.dioptra-metrics-lock
  local want
  want=$(sha256sum package-lock.json | cut -d' ' -f1)
  if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
    echo "setup: installing npm dev dependencies"
    npm ci --no-audit --no-fund --loglevel=error
    echo "$want" >"$stamp"
  fi
}

case "$what" in
  build) setup_build ;;
  server) bash scripts/setup-server-deps.sh ;;
  matrix) bash scripts/setup-matrix.sh ;;
  all) setup_build && bash scripts/setup-server-deps.sh && bash scripts/setup-matrix.sh ;;
  *) echo "usage: scripts/setup.sh [build|server|matrix|all]" >&2; exit 2 ;;
esac
