#!/usr/bin/env bash
# ./crm bench http: GET /api/health under wrk, 64 connections. Target: >= 40,000 req/s, p99 < 5 ms.
. "$(dirname "$0")/lib.sh"

SECONDS_PER_RUN="${BENCH_SECONDS:-10}"
bench_start_server CRM_LOG_LEVEL=info
echo "crm-server on :$BENCH_PORT ($(nproc) cores, wrk on the same machine), ${SECONDS_PER_RUN}s per run"
curl -fsS "http://127.0.0.1:$BENCH_PORT/api/health" >/dev/null
bench_wrk "warm-up" 64 2 "http://127.0.0.1:$BENCH_PORT/api/health" >/dev/null
bench_wrk "GET /api/health, 64 connections" 64 "$SECONDS_PER_RUN" "http://127.0.0.1:$BENCH_PORT/api/health"
verdict="target met"
if [ "$BENCH_RPS" -lt 40000 ] || awk -v p="$BENCH_P99" 'BEGIN { exit !(p >= 5) }'; then
  verdict="TARGET MISSED (>= 40000 req/s and p99 < 5 ms)"
fi
echo "result: $BENCH_RPS req/s, p50 $BENCH_P50 ms, p99 $BENCH_P99 ms: $verdict"
