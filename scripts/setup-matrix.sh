#!/usr/bin/env bash
# Installs the bundlers and runtimes of the packaging matrix (pkg-tests/matrix.test.mjs), each
# at a pinned version in its own directory under ~/.cache/dioptra-metrics/matrix/<set>/
# (override with DIOPTRA_MATRIX_CACHE). Idempotent: a set whose stamp matches its pinned list
# is skipped, so a warm run costs nothing. Sets install in parallel.
set -euo pipefail

cache="${DIOPTRA_MATRIX_CACHE:-$HOME/.cache/dioptra-metrics/matrix}"
mkdir -p "$cache"

# set name, then the exact packages it needs.
SETS=(
  "vite6 vite@6.4.6"
  "vite7 vite@7.3.8"
  "vite8 vite@8.3.8"
  "webpack webpack@5.113.0 webpack-cli@7.3.1"
  "esbuild esbuild@0.28.2"
  "rollup rollup@4.68.8 @rollup/plugin-node-resolve@16.0.3"
  "bun bun@1.4.5"
  "deno deno@2.9.6"
  "miniflare miniflare@4.20260730.0"
)

install_set() {
  local name="$1"
  shift
  local dir="$cache/$name" want="$*"
  if [ "$(cat "$dir/.pinned" 2>/dev/null)" = "$want" ]; then return 0; fi
  rm -rf "$dir"
  mkdir -p "$dir"
  echo '{ "name": "matrix-'"$name"'", "private": true }' >"$dir/package.json"
  if npm install --prefix "$dir" --no-audit --no-fund --loglevel=error "$@" >"$dir/.install.log" 2>&1; then
    echo "$want" >"$dir/.pinned"
    echo "setup-matrix: $name installed ($want)"
  else
    echo "setup-matrix: installing $name failed; see $dir/.install.log" >&2
    return 1
  fi
}

pids=()
for set in "${SETS[@]}"; do
  # shellcheck disable=SC2086
  install_set $set &
  pids+=($!)
done
status=0
for pid in "${pids[@]}"; do wait "$pid" || status=1; done
exit "$status"
