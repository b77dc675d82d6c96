#!/usr/bin/env bash
# Installs what the integration tests need to run a REAL local Dioptra REST API:
#   - redis-server            (Debian package; Dioptra enqueues every new job in Redis)
#   - /usr/bin/chromium       (Debian package; browser tests)
#   - a Python venv with dioptra-platform==1.2.2 (PyPI), at
#     ${DIOPTRA_METRICS_CACHE:-$HOME/.cache/dioptra-metrics}/venv-dioptra-1.2.2
# Idempotent and quick (well under 2 s) when everything is there; prints one line per thing it
# installs. Works unattended (CI=true, no stdin) as root on Debian; uses `sudo -n` otherwise.
# Env: PYTHON=python3.11 to choose the interpreter for the venv (>= 3.11).
set -euo pipefail

DIOPTRA_VERSION=1.2.2
CACHE="${DIOPTRA_METRICS_CACHE:-$HOME/.cache/dioptra-metrics}"
VENV="$CACHE/venv-dioptra-$DIOPTRA_VERSION"
PYTHON="${PYTHON:-python3}"

say() { echo "setup-server-deps: $*" >&2; }
die() { echo "setup-server-deps: ERROR: $*" >&2; exit 1; }

SUDO=()
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then SUDO=(sudo -n); else SUDO=(); fi
fi

APT_UPDATED=0
apt_install() { # packages...
  command -v apt-get >/dev/null 2>&1 || die "apt-get not found; install $* by hand"
  export DEBIAN_FRONTEND=noninteractive
  local log
  log="$(mktemp)"
  if [ "$APT_UPDATED" -eq 0 ]; then
    "${SUDO[@]}" apt-get update -q >"$log" 2>&1 || { tail -n 20 "$log" >&2; die "apt-get update failed"; }
    APT_UPDATED=1
  fi
  "${SUDO[@]}" apt-get install -y -q "$@" </dev/null >"$log" 2>&1 \
    || { tail -n 30 "$log" >&2; die "apt-get install $* failed"; }
  rm -f "$log"
}

# ---- Debian packages ---------------------------------------------------------------------
pkgs=()
if ! command -v redis-server >/dev/null 2>&1; then
  say "installing redis-server (apt)"
  pkgs+=(redis-server)
fi
if [ ! -x /usr/bin/chromium ]; then
  say "installing chromium (apt)"
  pkgs+=(chromium)
fi
if [ "${#pkgs[@]}" -gt 0 ]; then
  apt_install "${pkgs[@]}"
fi
command -v redis-server >/dev/null 2>&1 || die "redis-server still missing"
[ -x /usr/bin/chromium ] || die "/usr/bin/chromium still missing"
# The Debian package starts a system redis on 6379; the tests start their own on a free port.

# ---- the Dioptra venv --------------------------------------------------------------------
venv_ok() { # dir
  [ -x "$1/bin/python" ] && "$1/bin/python" -c '
import importlib.util, sys
import dioptra.client
sys.exit(0 if all(importlib.util.find_spec(m) for m in ("gunicorn", "flask_migrate", "redis")) else 1)
' >/dev/null 2>&1
}

# The reference downsampler the agreement test compares against (pkg-tests/downsample.test.mjs):
# a binary wheel (numpy comes with it), added to an existing venv when it lacks it.
TSDOWNSAMPLE=tsdownsample==0.1.5.1
ensure_tsdownsample() { # venv
  "$1/bin/python" -c 'import tsdownsample, sys; sys.exit(0 if tsdownsample.__version__ == "0.1.5.1" else 1)' >/dev/null 2>&1 && return 0
  say "installing $TSDOWNSAMPLE into $1 (pip)"
  "$1/bin/python" -m pip install -q --disable-pip-version-check "$TSDOWNSAMPLE" >&2 || die "pip install $TSDOWNSAMPLE failed"
}

if venv_ok "$VENV"; then
  ensure_tsdownsample "$VENV"
  exit 0
fi

say "installing dioptra-platform==$DIOPTRA_VERSION into $VENV (pip, a few minutes)"

# An interpreter that can make venvs (Debian splits venv/ensurepip into python3-venv).
if ! command -v "$PYTHON" >/dev/null 2>&1; then
  say "installing python3 + python3-venv (apt)"
  apt_install python3 python3-venv
  PYTHON=python3
fi
"$PYTHON" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)' \
  || die "$PYTHON is $("$PYTHON" -V 2>&1); dioptra-platform needs Python >= 3.11 (set PYTHON=...)"
if ! "$PYTHON" -c 'import venv, ensurepip' >/dev/null 2>&1; then
  say "installing python3-venv (apt)"
  apt_install python3-venv
  "$PYTHON" -c 'import venv, ensurepip' >/dev/null 2>&1 || die "$PYTHON cannot create venvs"
fi

mkdir -p "$CACHE"
# One installer at a time (parallel CI steps, two terminals); the winner's venv serves both.
if command -v flock >/dev/null 2>&1; then
  exec 9>"$CACHE/.setup-venv.lock"
  flock 9
  if venv_ok "$VENV"; then say "$VENV was installed meanwhile"; exit 0; fi
fi
# Build under a temporary name, rename when complete: an interrupted install never looks done.
rm -rf "$VENV".partial.* 2>/dev/null || true
TMP="$VENV.partial.$$"
trap 'rm -rf "$TMP"' EXIT
"$PYTHON" -m venv --prompt "venv-dioptra-$DIOPTRA_VERSION" "$TMP"

# Versions of the dependencies that were tested together with dioptra-platform 1.2.2
# (its own requirements are unpinned). Falls back to an unconstrained install if they fail.
CONSTRAINTS="$TMP/constraints.txt"
cat >"$CONSTRAINTS" <<'PINS'
absl-py==2.5.1
alembic==1.20.1
aniso8601==10.0.1
annotated-doc==0.0.7
annotated-types==0.8.0
anyio==4.16.0
array_record==0.8.6
async-timeout==5.0.1
attrs==26.1.0
blinker==1.9.0
boto3==1.44.8
botocore==1.44.8
cachetools==7.3.3
certifi==2026.10.19.post1
cffi==2.1.1
charset-normalizer==3.5.3
click==8.5.1
cloudpickle==3.1.3
croniter==7.0.0
cryptography==50.0.2
databricks-sdk==0.162.0
dm-tree==0.1.10
docstring_parser==0.18.0
einops==0.8.2
entrypoints==0.4.2
etils==1.15.0
fastapi==0.165.0
Flask==3.0.3
flask-cors==6.0.5
Flask-Login==0.6.3
Flask-Migrate==4.1.0
flask-restx==1.3.2
Flask-SQLAlchemy==3.1.1
flask_accepts==1.0.1
fsspec==2026.9.0
gitdb==4.0.12
GitPython==3.2.1
google-auth==2.63.0
googleapis-common-protos==1.76.0
greenlet==3.5.6
gunicorn==27.0.1
h11==0.16.0
idna==3.20
immutabledict==4.3.1
importlib_metadata==9.1.0
importlib_resources==7.1.0
injector==0.24.0
itsdangerous==2.2.0
Jinja2==3.1.6
jmespath==1.1.0
jsonschema==4.26.0
jsonschema-specifications==2025.9.1
Mako==1.4.3
MarkupSafe==3.0.4
marshmallow==3.26.2
mlflow-skinny==3.17.2
multimethod==2.1
nh3==0.3.8
numpy==2.4.6
opentelemetry-api==1.45.2
opentelemetry-proto==1.45.2
opentelemetry-sdk==1.45.2
opentelemetry-semantic-conventions==0.66b2
packaging==26.4
pandas==3.1.1
passlib==1.7.4
pathlib_abc==0.5.2
pillow==13.0.0
promise==2.3
protobuf==7.36.2
psutil==7.2.2
psycopg2-binary==2.9.13
pyarrow==26.0.1
pyasn1==0.6.5
pyasn1_modules==0.4.2
pycparser==3.12
pydantic==2.14.4
pydantic_core==2.50.5
pyparsing==3.3.3
python-dateutil==2.9.0.post0
python-dotenv==1.2.4
python-json-logger==4.2.0
PyYAML==6.0.4
redis==8.1.0
referencing==0.37.0
requests==2.34.2
requests-toolbelt==1.0.0
rpds-py==2026.9.1
rq==3.0.0
s3transfer==0.19.3
scipy==1.17.1
simple-parsing==0.1.9
simplejson==4.3.0
six==1.17.0
smmap==5.0.3
SQLAlchemy==2.0.58
sqlparse==0.6.1
starlette==1.10.0
structlog==26.1.0
tensorflow-datasets==4.9.10
tensorflow-metadata==1.21.0
termcolor==3.3.0
toml==0.10.2
tomli==2.5.0
tqdm==4.70.1
typing-inspection==0.4.5
typing_extensions==4.16.0
universal_pathlib==0.3.10
urllib3==2.8.0
uvicorn==0.54.0
Werkzeug==3.0.6
wrapt==2.5.2
zipp==4.1.2
PINS

export PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_INPUT=1 PIP_PROGRESS_BAR=off
LOG="$TMP/pip.log"
if ! "$TMP/bin/python" -m pip install -q -c "$CONSTRAINTS" "dioptra-platform==$DIOPTRA_VERSION" >"$LOG" 2>&1; then
  say "pinned install failed (tail of log below); retrying without pins"
  tail -n 5 "$LOG" >&2 || true
  "$TMP/bin/python" -m pip install -q "dioptra-platform==$DIOPTRA_VERSION" >"$LOG" 2>&1 \
    || { tail -n 40 "$LOG" >&2; die "pip install dioptra-platform==$DIOPTRA_VERSION failed"; }
fi

# A venv records its own path (script shebangs, activate scripts): point them at the final name.
grep -rlI --null -F "$TMP" "$TMP/bin" "$TMP/pyvenv.cfg" 2>/dev/null \
  | xargs -0 -r sed -i "s|$TMP|$VENV|g"
rm -f "$CONSTRAINTS" "$LOG"

rm -rf "$VENV"
mv "$TMP" "$VENV"
trap - EXIT
venv_ok "$VENV" || die "the new venv at $VENV cannot import dioptra.client"
ensure_tsdownsample "$VENV"
"$VENV/bin/gunicorn" --version >/dev/null 2>&1 || die "gunicorn in $VENV does not run"
say "dioptra-platform==$DIOPTRA_VERSION ready in $VENV"
