# Shared by run.sh and test.sh: find uv, or install the pinned uv with pip, and put its command in $UV.
# Source it; it defines log/die only if the caller has not.
declare -F log >/dev/null || log() { printf '[groupgov] %s\n' "$*" >&2; }
declare -F die >/dev/null || die() { printf '[groupgov] ERROR: %s\n' "$*" >&2; exit 2; }

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

# Front-end packages pinned in package-lock.json; installed when missing or older than the lock file.
sync_frontend() {
    [ -f package.json ] || return 0
    command -v npm >/dev/null 2>&1 || { log "npm not found: web assets (bpmn-js, htmx) not installed; Debian: apt-get install npm"; return 1; }
    if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
        log "npm ci (front-end packages pinned in package-lock.json)"
        npm ci --no-audit --no-fund --loglevel=error || { log "npm ci failed"; return 1; }
    fi
    # the process owners' modeler (bpmn-js + properties panel are ES modules) is bundled by the pinned esbuild
    local bundle=workflows/web/static/vendor/modeler.js
    if [ -f workflows/web/frontend/modeler.js ] && { [ ! -f "$bundle" ] || [ package-lock.json -nt "$bundle" ] \
            || [ -n "$(find workflows/web/frontend -type f -newer "$bundle" 2>/dev/null | head -n 1)" ]; }; then
        log "npm run build:modeler (bundle of the BPMN modeler)"
        npm run --silent build:modeler || { log "building the modeler bundle failed"; return 1; }
    fi
}
