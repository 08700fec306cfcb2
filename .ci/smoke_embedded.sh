#!/usr/bin/env bash
# Smoke test of the embedded run: a copy of the checkout started exactly as `make run` starts it
# (SQLite, filesystem broker, web + worker + beat under honcho) on a free port; wait for /readyz,
# log in over HTTP as the demo coordinator, stop everything. Fails on any failed step.
#
# Reuses the checkout's .venv (symlinked) so that nothing is installed twice; run `make install` first.
# SMOKE_TIMEOUT (seconds, default 180) bounds the wait for /readyz.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
TIMEOUT=${SMOKE_TIMEOUT:-180}
DEMO_EMAIL=coordinator@wdmo.example.org

step() { printf -- '--- %s\n' "$*"; }
fail() { printf 'SMOKE TEST FAILED: %s\n' "$*" >&2; exit 1; }

[ -x "$ROOT/.venv/bin/python" ] || fail "no $ROOT/.venv: run 'make install' first"

WORK=$(mktemp -d "${TMPDIR:-/tmp}/psn-smoke.XXXXXX")
APP="$WORK/app"
LOG="$WORK/make-run.log"
PGID=""
RUN_PID=""

stop_app() {
    [ -n "$PGID" ] || return 0
    local group=$PGID
    PGID=""
    kill -TERM -- "-$group" 2>/dev/null || true
    for _ in $(seq 1 30); do kill -0 -- "-$group" 2>/dev/null || break; sleep 0.5; done
    kill -KILL -- "-$group" 2>/dev/null || true
    wait "$RUN_PID" 2>/dev/null || true
}

cleanup() {
    local rc=$?
    stop_app
    if [ -n "$RUN_PID" ] && kill -0 "$RUN_PID" 2>/dev/null; then kill -TERM "$RUN_PID" 2>/dev/null || true; fi
    if [ "$rc" -ne 0 ] && [ -f "$LOG" ]; then
        echo "--- last 80 lines of make run's output:" >&2
        tail -n 80 "$LOG" >&2 || true
    fi
    rm -rf "$WORK"
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

step "Copying the checkout to $APP (without .git, .venv, var/ and .env; .venv is symlinked)"
mkdir -p "$APP"
tar -C "$ROOT" --exclude=./.git --exclude=./.venv --exclude=./var --exclude=./.env --exclude='*/__pycache__' -cf - . | tar -C "$APP" -xf -
ln -s "$ROOT/.venv" "$APP/.venv"

PORT=$("$ROOT/.venv/bin/python" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
BASE="http://127.0.0.1:$PORT"
step "Starting 'make run' on $BASE (log: $LOG)"
# setsid: make, honcho, gunicorn and celery form one process group, stopped together.
(
    cd "$APP"
    unset DATABASE_URL REDIS_URL CELERY_BROKER_URL EMAIL_URL
    export PSN_BIND="127.0.0.1:$PORT"
    exec setsid make run
) >"$LOG" 2>&1 </dev/null &
RUN_PID=$!
sleep 1
# setsid made make the leader of its own process group; never signal a group that holds this script.
group=$(ps -o pgid= -p "$RUN_PID" 2>/dev/null | tr -d ' ' || true)
[ "$group" = "$RUN_PID" ] || fail "make run is not in a process group of its own (pgid '$group')"
PGID=$group

step "Waiting up to ${TIMEOUT}s for $BASE/readyz"
deadline=$((SECONDS + TIMEOUT))
status=""
while :; do
    status=$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 "$BASE/readyz" || true)
    [ "$status" = "200" ] && break
    kill -0 "$RUN_PID" 2>/dev/null || fail "make run exited before /readyz answered"
    [ "$SECONDS" -lt "$deadline" ] || fail "/readyz did not return 200 within ${TIMEOUT}s (last status: $status)"
    sleep 2
done
echo "/readyz 200 after $((SECONDS - deadline + TIMEOUT))s"
curl -sf --max-time 5 "$BASE/healthz" >/dev/null || fail "/healthz did not answer"

step "Logging in as $DEMO_EMAIL"
[ -s "$APP/var/demo_password" ] || fail "seed_demo wrote no var/demo_password"
PASSWORD=$(head -n 1 "$APP/var/demo_password")
JAR="$WORK/cookies.txt"
LOGIN_URL="$BASE/accounts/login/"
curl -sS -f --max-time 20 -c "$JAR" -b "$JAR" -o "$WORK/login.html" "$LOGIN_URL" || fail "GET $LOGIN_URL failed"
TOKEN=$(grep -o 'name="csrfmiddlewaretoken" value="[^"]*"' "$WORK/login.html" | head -n 1 | sed 's/.*value="\([^"]*\)"/\1/' || true)
[ -n "$TOKEN" ] || fail "no csrfmiddlewaretoken on the login page"
RESULT=$(curl -sS --max-time 30 -L -c "$JAR" -b "$JAR" -e "$LOGIN_URL" \
    --data-urlencode "csrfmiddlewaretoken=$TOKEN" \
    --data-urlencode "login=$DEMO_EMAIL" \
    --data-urlencode "password=$PASSWORD" \
    -o "$WORK/after-login.html" -w '%{http_code} %{url_effective}' "$LOGIN_URL") || fail "POST $LOGIN_URL failed"
read -r CODE FINAL_URL <<<"$RESULT"
echo "Landed on $FINAL_URL ($CODE)"
[ "$CODE" = "200" ] || fail "the page after login answered $CODE"
case "$FINAL_URL" in
    */accounts/login/*) fail "still on the login page after posting the demo credentials" ;;
esac
if grep -q 'name="password"' "$WORK/after-login.html"; then
    fail "the page after login still asks for a password"
fi
# Proof of a session: the landing page is served to this cookie jar, not redirected to login.
CODE=$(curl -s -o /dev/null --max-time 20 -b "$JAR" -w '%{http_code}' "$FINAL_URL")
[ "$CODE" = "200" ] || fail "the landing page answered $CODE on a second visit"

step "Stopping web, worker and beat"
group=$PGID
stop_app
if kill -0 -- "-$group" 2>/dev/null; then
    fail "processes of make run are still running after being stopped"
fi
echo "Smoke test passed."
