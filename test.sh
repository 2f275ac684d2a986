#!/usr/bin/env bash
# The project's test command (see README): from a fresh clone,
#   ./test.sh [pytest args...]      (default: -q)
# makes sure uv is there, creates/updates .venv from uv.lock (uv sync --frozen),
# then runs pytest inside it and exits with pytest's exit code.
# pytest's exit code 5 ("no tests were collected") is reported as a failure.
set -euo pipefail

cd "$(dirname "$(readlink -f "$0")")"

log() { printf '[test.sh] %s\n' "$*" >&2; }
die() { printf '[test.sh] ERROR: %s\n' "$*" >&2; exit 2; }

UV_VERSION=0.13.8
PY=${PYTHON:-python3}

find_uv() {
    # prints a command that runs uv, or fails
    if command -v uv >/dev/null 2>&1; then
        echo "uv"; return 0
    fi
    local candidate
    for candidate in "$HOME/.local/bin/uv" "$HOME/.cargo/bin/uv" "${XDG_CACHE_HOME:-$HOME/.cache}/groupgov-uv/bin/uv"; do
        if [ -x "$candidate" ]; then
            echo "$candidate"; return 0
        fi
    done
    if "$PY" -m uv --version >/dev/null 2>&1; then
        echo "$PY -m uv"; return 0
    fi
    return 1
}

install_uv() {
    command -v "$PY" >/dev/null 2>&1 || die "no $PY on PATH: need Python 3.11+ to install uv"
    "$PY" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)' \
        || die "$PY is $("$PY" --version 2>&1); Python 3.11+ is needed"
    log "uv not found; installing uv==$UV_VERSION with pip"
    "$PY" -m pip install --quiet --user "uv==$UV_VERSION" 2>/dev/null && return 0
    # Debian's own python refuses --user installs (PEP 668)
    "$PY" -m pip install --quiet --user --break-system-packages "uv==$UV_VERSION" 2>/dev/null && return 0
    # last resort: a private venv just for uv
    local venv="${XDG_CACHE_HOME:-$HOME/.cache}/groupgov-uv"
    "$PY" -m venv "$venv" && "$venv/bin/python" -m pip install --quiet "uv==$UV_VERSION" && return 0
    return 1
}

if ! UV=$(find_uv); then
    install_uv || die "could not install uv (tried pip --user and a private venv)"
    UV=$(find_uv) || die "installed uv but cannot find it (looked on PATH, ~/.local/bin, python -m uv)"
fi

# uv must not pick up someone else's activated environment
unset VIRTUAL_ENV

log "uv sync --frozen ($($UV --version 2>/dev/null || echo uv))"
$UV sync --frozen --quiet || die "uv sync --frozen failed"

[ -x .venv/bin/python ] || die "uv sync did not create .venv/bin/python"

if [ $# -eq 0 ]; then
    set -- -q
fi

set +e
.venv/bin/python -m pytest "$@"
rc=$?
set -e

if [ "$rc" -eq 5 ]; then
    log "pytest collected no tests (exit 5): counted as a failure"
fi
exit "$rc"
