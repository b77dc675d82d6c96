#!/usr/bin/env bash
# The demo: builds the package, starts a real local Dioptra 1.2.2 (loopback only, seeded with
# a user and jobs), runs examples/quickstart.mjs against it, and stops the server.
# Installs whatever is missing first (scripts/setup.sh); the first run takes minutes.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/setup.sh all
node scripts/build.mjs
node scripts/with-dioptra.mjs -- node examples/quickstart.mjs
