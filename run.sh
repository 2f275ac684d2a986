#!/usr/bin/env bash
# Set-up and main job, from a fresh clone:   ./run.sh [--host H] [--port P]
# Installs uv if needed, creates .venv from uv.lock, installs the pinned front-end packages (npm ci),
# then runs `groupgov serve`: migrates the SQLite database under var/, loads the demo university when the
# database is empty, deploys bpmn/, and serves the web app on 127.0.0.1:8000 with the scheduler beside it.
set -euo pipefail
cd "$(dirname "$(readlink -f "$0")")"

log() { printf '[run.sh] %s\n' "$*" >&2; }
die() { printf '[run.sh] ERROR: %s\n' "$*" >&2; exit 2; }

# shellcheck source=deployments/bootstrap.sh
source deployments/bootstrap.sh

log "uv sync --frozen"
$UV sync --frozen --quiet || die "uv sync --frozen failed"

sync_frontend || die "front-end packages could not be installed"

exec .venv/bin/groupgov serve "$@"
