#!/usr/bin/env bash
# `npm run bench`: builds the package, starts a real local Dioptra 1.2.2 (loopback, stopped
# afterwards), and runs bench/bench.mjs against it: this package side by side with Dioptra's own
# Python client and plain fetch. It prints tables and a PASS/MISS line per target, and fails only
# when something breaks, never because of a speed. Knobs: see the head of bench/bench.mjs.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/setup.sh all
echo "== build the package"
node scripts/build.mjs
echo "== benchmarks against a real Dioptra"
node scripts/with-dioptra.mjs -- node bench/bench.mjs
