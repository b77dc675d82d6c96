#!/usr/bin/env bash
# The dashboard (examples/dashboard/): builds the package, then serves the page same-origin
# with the API on http://127.0.0.1:${PORT:-8080}/.
#   DIOPTRA_ADDRESS set:  /api is proxied to that server (log in with your own account).
#   otherwise:            starts a real local Dioptra 1.2.2 like `npm run demo` (installing
#                         what is missing first), logs live demo curves into the jobs of its
#                         "main" experiment, and prints the login. Ctrl-C stops everything.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ -n "${DIOPTRA_ADDRESS:-}" ]; then
  bash scripts/setup.sh build
  node scripts/build.mjs
  exec node examples/dashboard/serve.mjs
fi
bash scripts/setup.sh all
node scripts/build.mjs
exec node scripts/with-dioptra.mjs -- node examples/dashboard/serve.mjs --demo
