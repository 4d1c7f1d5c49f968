#!/usr/bin/env bash
# Property-based API tests of the live daemon with Schemathesis: every operation of
# daemon/openapi.json (as served at /api/v1/openapi.json) is called with generated data, once with
# an admin token and once with a member's token, a bounded number of cases per operation. Fails on a
# 5xx, an undocumented status code or content type, or a response (body or headers) that does not
# match the document.
#
# Idempotent, no standard input, runs from anywhere; a clean temporary database each run.
#   scripts/schemathesis.sh
# Knobs (environment): SCHEMATHESIS_MAX_EXAMPLES (default 25 per operation),
#   SCHEMATHESIS_SEED (default 1; "random" for a fresh seed), SCHEMATHESIS_WORKERS (default 1),
#   SCHEMATHESIS_REPORTS (default junit; e.g. junit,har to keep every request and response).
# Reports: target/schemathesis-report/{member,admin}/ (junit-<time>.xml, …)
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD

ST_VERSION=4.32.5
VENV=$ROOT/target/schemathesis-venv
MAX_EXAMPLES=${SCHEMATHESIS_MAX_EXAMPLES:-25}
SEED=${SCHEMATHESIS_SEED:-1}
# One worker: Schemathesis' workers are threads, and Hypothesis' ast.parse in two threads at once
# trips a CPython 3.11 bug ("SystemError: AST constructor recursion depth mismatch", gh-106905).
WORKERS=${SCHEMATHESIS_WORKERS:-1}
REPORTS=$ROOT/target/schemathesis-report
REPORT_FORMATS=${SCHEMATHESIS_REPORTS:-junit}
CHECKS=not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance,response_headers_conformance

log() { printf '== %s\n' "$*" >&2; }

# --- Schemathesis, pinned, in its own venv -------------------------------------------------------
if ! "$VENV/bin/schemathesis" --version 2>/dev/null | grep -qx "schemathesis, version $ST_VERSION"; then
  log "installing schemathesis $ST_VERSION into $VENV"
  python3 -m venv --clear "$VENV"
  "$VENV/bin/pip" install --quiet --disable-pip-version-check "schemathesis==$ST_VERSION"
fi
PY=$VENV/bin/python

# --- The daemon ---------------------------------------------------------------------------------
# Always ask cargo: a no-op when up to date, and the served document is include_str!'d, so an edit of
# daemon/openapi.json needs a rebuild. Cargo waits by itself if another build holds the lock.
log "building the daemon"
cargo build --quiet -p daemon --bin liandong </dev/null

TMP=$(mktemp -d "${TMPDIR:-/tmp}/liandong-schemathesis.XXXXXX")
DAEMON_PID=
cleanup() {
  local rc=$?
  if [ -n "$DAEMON_PID" ] && kill -0 "$DAEMON_PID" 2>/dev/null; then
    kill -TERM "$DAEMON_PID" 2>/dev/null || true
    for _ in $(seq 50); do kill -0 "$DAEMON_PID" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$DAEMON_PID" 2>/dev/null || true
    wait "$DAEMON_PID" 2>/dev/null || true
  fi
  rm -rf "$TMP"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

log "starting the daemon (database in $TMP)"
env -u LIANDONG_ENV \
  LIANDONG__DATABASE__URL="sqlite://$TMP/ld.sqlite?mode=rwc" \
  LIANDONG__SERVER__LISTEN=127.0.0.1:0 \
  LIANDONG__MAIL__TRANSPORT=memory \
  LIANDONG__JOBS__DUTIES=false \
  LIANDONG__LOG__LEVEL=warn \
  LIANDONG__SEED__DEMO=true \
  "${CARGO_TARGET_DIR:-$ROOT/target}/debug/liandong" serve </dev/null >"$TMP/daemon.out" 2>"$TMP/daemon.err" &
DAEMON_PID=$!

BASE=
for _ in $(seq 600); do
  BASE=$(sed -n 's/^Liandong listening on \(http:\/\/[^ ]*\) (ready in .*/\1/p' "$TMP/daemon.out" | head -n 1)
  [ -n "$BASE" ] && break
  if ! kill -0 "$DAEMON_PID" 2>/dev/null; then
    log "the daemon exited before it was ready"; cat "$TMP/daemon.out" "$TMP/daemon.err" >&2; exit 1
  fi
  sleep 0.1
done
if [ -z "$BASE" ]; then
  log "the daemon did not announce its address within 60 s"; cat "$TMP/daemon.out" "$TMP/daemon.err" >&2; exit 1
fi
ADMIN=$(grep -o 'ld_[0-9a-f]*' "$TMP/daemon.out" | head -n 1)
[ -n "$ADMIN" ] || { log "no admin token on the daemon's first start"; cat "$TMP/daemon.out" >&2; exit 1; }
log "daemon at $BASE"

# --- Data to reach past 404s and 403s ------------------------------------------------------------
# A member token (2023010201: president of the cs department SU, M2 liaison of class cs-2022-1), a
# running request they submitted, a running request of the cs-2022-1 class monitor whose
# "contact_ack" task is the member's to acknowledge, and a ledger entry the member wrote.
json_field() { "$PY" -c 'import json,sys; d=json.load(sys.stdin); print(eval(sys.argv[1], {}, {"d": d}))' "$1"; }
post() { # post TOKEN PATH BODY -> the response body; fails on a non-2xx
  curl -sS --fail-with-body -X POST "$BASE$2" -H "Authorization: Bearer $1" -H 'Content-Type: application/json' -d "$3"
}
MEMBER=$(post "$ADMIN" /api/v1/tokens '{"person":"2023010201"}' | json_field 'd["token"]')
MONITOR=$(post "$ADMIN" /api/v1/tokens '{"person":"2022010101"}' | json_field 'd["token"]')
OWN=$(post "$MEMBER" /api/v1/requests \
  '{"workflow":"major_matter_report","form":{"kind":"request","matter_type":"reform_progress","title":"计算机学院学生会改革推进情况的请示","body":"拟调整工作部门设置。"}}')
ASSIGNED=$(post "$MONITOR" /api/v1/requests \
  '{"workflow":"class_major_matter_report","form":{"kind":"request","title":"班级重大事项请示","body":"拟组织班级主题活动。"}}')
REQUEST_IDS=$(printf '%s\n%s\n' "$OWN" "$ASSIGNED" | "$PY" -c 'import json,sys; print(", ".join(json.dumps(json.loads(l)["id"]) for l in sys.stdin))')
TASKS=$(printf '%s\n%s\n' "$OWN" "$ASSIGNED" | "$PY" -c 'import json,sys; print(", ".join(sorted({str(t["task"]) for l in sys.stdin for t in json.loads(l)["open_tasks"]}, key=int)))')
log "seeded requests $REQUEST_IDS (open tasks $TASKS)"
# A work-ledger entry of the member (a department SU leader: every class of cs is theirs, M2).
LEDGER_ID=$(post "$MEMBER" /api/v1/ledger \
  "{\"target\":{\"kind\":\"class\",\"id\":\"cs-2022-1\"},\"date\":\"$(TZ=Asia/Shanghai date +%F)\",\"mode\":\"visit\",\"problem\":\"班级活动场地不足\"}" \
  | json_field 'd["id"]')
log "seeded ledger entry $LEDGER_ID"

# Real identifiers are used for half of the generated values of these path parameters.
cat >"$TMP/schemathesis.toml" <<EOF
[dictionaries]
request_ids = { values = [$REQUEST_IDS] }
task_ids = { values = [$TASKS] }
people = { values = ["2023010201", "T0102", "2023010130"] }
ledger_ids = { values = ["$LEDGER_ID"] }

[[operations]]
include-path-regex = '^/api/v1/requests/\{id\}(/events|/withdraw|/resubmit|/comments)?$'
parameters = { "path.id" = { dictionary = "request_ids", probability = 0.5 } }

[[operations]]
include-path-regex = '^/api/v1/requests/\{id\}/tasks/\{task\}'
parameters = { "path.id" = { dictionary = "request_ids", probability = 0.5 }, "path.task" = { dictionary = "task_ids", probability = 0.5 } }

[[operations]]
include-path = "/api/v1/ledger/{id}"
parameters = { "path.id" = { dictionary = "ledger_ids", probability = 0.5 } }

[[operations]]
include-path = "/api/v1/org/people/{id}"
parameters = { "path.id" = { dictionary = "people", probability = 0.5 } }
EOF

# --- Schemathesis, member first (the admin run may replace the org) ------------------------------
rm -rf "$REPORTS"; mkdir -p "$REPORTS"
seed_args=()
[ "$SEED" = random ] || seed_args=(--seed "$SEED")
failed=0
for who in member admin; do
  if [ "$who" = admin ]; then token=$ADMIN; else token=$MEMBER; fi
  log "schemathesis as $who ($MAX_EXAMPLES examples per operation)"
  # Run from the temp dir: Schemathesis keeps .hypothesis/ and .schemathesis/ in the working directory.
  if ! (cd "$TMP" && "$VENV/bin/schemathesis" --no-color --config-file "$TMP/schemathesis.toml" run \
      "$BASE/api/v1/openapi.json" \
      --header "Authorization: Bearer $token" \
      --checks "$CHECKS" \
      --max-examples "$MAX_EXAMPLES" \
      "${seed_args[@]}" \
      --workers "$WORKERS" \
      --continue-on-failure \
      --request-timeout 30 \
      --report "$REPORT_FORMATS" --report-dir "$REPORTS/$who" \
      </dev/null); then
    failed=1
    log "schemathesis as $who: FAILED"
  fi
  if ! kill -0 "$DAEMON_PID" 2>/dev/null; then
    log "the daemon died during the $who run"; failed=1; break
  fi
done

if grep -qE 'ERROR|panicked' "$TMP/daemon.err"; then
  log "the daemon logged errors:"; grep -E -A3 'ERROR|panicked' "$TMP/daemon.err" | head -n 60 >&2
fi
if grep -q 'panicked' "$TMP/daemon.err"; then failed=1; fi
if [ "$failed" -ne 0 ]; then log "FAILED"; exit 1; fi
log "passed"
