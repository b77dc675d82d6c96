#!/usr/bin/env bash
# Every test: the Rust core natively, lints, then the built package against a real Dioptra
# (started here on loopback, stopped afterwards) from Node and from Chromium.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/setup.sh all
echo "== cargo fmt --check, cargo clippy (native and wasm32)"
cargo fmt --check
cargo clippy --quiet --all-targets -- -D warnings
cargo clippy --quiet --target wasm32-unknown-unknown -- -D warnings
echo "== cargo test (the pure core)"
cargo test --quiet
echo "== build the package"
node scripts/build.mjs
echo "== package tests against a real Dioptra"
node scripts/with-dioptra.mjs -- node --test --test-reporter=spec --test-concurrency=3 pkg-tests/*.test.mjs
