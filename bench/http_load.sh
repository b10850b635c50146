#!/usr/bin/env bash
# Decisions per second of POST /v1/decisions under `gunicorn -w 2`, on SQLite and on
# PostgreSQL, beside a trivial Flask JSON endpoint, all measured with wrk from a second
# process in the same run.
#   bench/http_load.sh [seconds] [connections]
# PostgreSQL: DEALGUARD_BENCH_POSTGRES_URL (default: the local test server), a fresh schema.
set -euo pipefail
cd "$(dirname "$0")/.."
SECONDS_EACH=${1:-15}
CONNECTIONS=${2:-8}
PORT=${BENCH_PORT:-8765}
BIN=.venv/bin
PG=${DEALGUARD_BENCH_POSTGRES_URL:-postgresql+psycopg://postgres@127.0.0.1:5432/test}
WORK=$(mktemp -d)
trap '[ -f "$WORK/pid" ] && kill "$(cat "$WORK/pid")" 2>/dev/null; rm -rf "$WORK"' EXIT

serve() {  # serve MODULE:APP with gunicorn -w 2 and wait until it answers
    $BIN/gunicorn -w 2 -b 127.0.0.1:$PORT --access-logfile /dev/null -p "$WORK/pid" \
        -c gunicorn.conf.py "$1" >"$WORK/gunicorn.log" 2>&1 &
    for _ in $(seq 100); do
        curl -s -o /dev/null "http://127.0.0.1:$PORT/" && return 0
        sleep 0.1
    done
    cat "$WORK/gunicorn.log"; exit 1
}

stop() {
    local pid
    pid=$(cat "$WORK/pid")
    kill "$pid"; while kill -0 "$pid" 2>/dev/null; do sleep 0.1; done
}

measure() {  # LABEL [LUA_SCRIPT]
    local out
    out=$(wrk -t 2 -c "$CONNECTIONS" -d "${SECONDS_EACH}s" --latency -s "${2:-bench/http_post.lua}" \
        "http://127.0.0.1:$PORT/v1/decisions")
    printf '%-28s %10s req/s   p50 %8s   p99 %8s   non-2xx %s\n' "$1" \
        "$(awk '/Requests\/sec/ {print $2}' <<<"$out")" \
        "$(awk '$1=="50%" {print $2}' <<<"$out")" \
        "$(awk '$1=="99%" {print $2}' <<<"$out")" \
        "$(awk '/Non-2xx/ {print $NF}' <<<"$out" | grep . || echo 0)"
}

dealguard() {  # LABEL URL
    export DEALGUARD_DATABASE_URL=$2
    $BIN/dealguard db upgrade 2>/dev/null
    DEALGUARD_KEY=$($BIN/dealguard keys create --role crm --name "bench-$RANDOM$RANDOM")
    export DEALGUARD_KEY
    serve wsgi:app
    measure "$1"
    measure "  batch of 100 (x100 = decisions/s)" bench/http_batch.lua
    stop
}

echo "wrk -t 2 -c $CONNECTIONS -d ${SECONDS_EACH}s, gunicorn -w 2 (gunicorn.conf.py: gthread), $(nproc) CPUs"
serve bench.http_trivial:app  # not PYTHONPATH=bench: bench/http.py would shadow http
measure "trivial Flask JSON endpoint"
stop
dealguard "POST /v1/decisions, SQLite" "sqlite:///$WORK/bench.db"
SCHEMA="bench_$$"
psql "${PG/+psycopg/}" -qc "CREATE SCHEMA $SCHEMA" >/dev/null
dealguard "POST /v1/decisions, PostgreSQL" "$PG?options=-csearch_path%3D$SCHEMA"
PGOPTIONS=--client-min-messages=warning psql "${PG/+psycopg/}" -qc "DROP SCHEMA $SCHEMA CASCADE" >/dev/null
