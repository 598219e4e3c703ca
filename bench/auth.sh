#!/usr/bin/env bash
# ./crm bench auth: logins/s (argon2id, deliberately slow) and GET /api/auth/me requests/s.
# Target: /api/auth/me >= 20,000 req/s with 64 connections, p99 < 20 ms.
. "$(dirname "$0")/lib.sh"

SECONDS_PER_RUN="${BENCH_SECONDS:-10}"
PASSWORD="bench passphrase that is long enough"
EMAIL="bench.admin@bench.example"
"$CRM_BENCH_SERVER" create-admin --email "$EMAIL" --password "$PASSWORD" --name "Bench Admin" \
  --organization "Bench Org" >/dev/null

# The limits still run (one Redis round trip per request) but are set high enough that the
# load generator, a single IP and a single user, is not refused.
bench_start_server CRM_RATE_LIMIT_PER_MINUTE=1000000 CRM_LOGIN_ATTEMPTS_PER_MINUTE_PER_IP=100000
echo "crm-server on :$BENCH_PORT ($(nproc) cores, wrk on the same machine), ${SECONDS_PER_RUN}s per run"

body="{\"email\":\"$EMAIL\",\"password\":\"$PASSWORD\",\"organization\":\"bench-org\"}"
token=$(curl -fsS -H 'Content-Type: application/json' -d "$body" \
  "http://127.0.0.1:$BENCH_PORT/api/auth/login" | sed -E 's/.*"access_token":"([^"]+)".*/\1/')
[ -n "$token" ] || { echo "login failed" >&2; exit 1; }

lua=$(mktemp)
cat >"$lua" <<LUA
wrk.method = "POST"
wrk.body = '$body'
wrk.headers["Content-Type"] = "application/json"
LUA
bench_wrk "POST /api/auth/login, 4 connections" 4 "$SECONDS_PER_RUN" \
  "http://127.0.0.1:$BENCH_PORT/api/auth/login" -s "$lua"
login_rps=$BENCH_RPS
rm -f "$lua"

bench_wrk "warm-up" 64 2 "http://127.0.0.1:$BENCH_PORT/api/auth/me" -H "Authorization: Bearer $token" >/dev/null
bench_wrk "GET /api/auth/me, 64 connections" 64 "$SECONDS_PER_RUN" \
  "http://127.0.0.1:$BENCH_PORT/api/auth/me" -H "Authorization: Bearer $token"
verdict="target met"
if [ "$BENCH_RPS" -lt 20000 ]; then verdict="TARGET MISSED (>= 20000 req/s)"; fi
echo "result: login $login_rps/s (argon2id: 2 passes over 64 MiB per attempt, by design);" \
  "me $BENCH_RPS req/s, p50 $BENCH_P50 ms, p99 $BENCH_P99 ms: $verdict"
