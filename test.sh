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

# shellcheck source=deployments/bootstrap.sh
source deployments/bootstrap.sh


log "uv sync --frozen ($($UV --version 2>/dev/null || echo uv))"
$UV sync --frozen --quiet || die "uv sync --frozen failed"

[ -x .venv/bin/python ] || die "uv sync did not create .venv/bin/python"

# browser tests need the pinned front-end packages; without npm they are skipped with the reason
sync_frontend || log "continuing without front-end packages"

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
