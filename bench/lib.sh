# Shared by the benchmarks; ./crm bench sets CRM_BENCH_* and the database/Redis URLs.
set -euo pipefail

# Below the kernel's ephemeral range, whose start ./crm passes in CRM_BENCH_EPHEMERAL_LOW
# (outgoing connections take ports there).
bench_free_port() {
  local port low="${CRM_BENCH_EPHEMERAL_LOW:?run the benchmarks with ./crm bench}"
  for _ in $(seq 1 200); do
    port=$(( 10000 + RANDOM % (low - 10000) ))
    (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null || { echo "$port"; return 0; }
  done
  return 1
}

# Starts crm-server on a free port with the given extra settings; sets BENCH_PORT, BENCH_PID.
bench_start_server() {
  BENCH_PORT=$(bench_free_port)
  mkdir -p "$CRM_BENCH_STATE/logs"
  BENCH_LOG="$CRM_BENCH_STATE/logs/bench-server.log"
  env CRM_PORT="$BENCH_PORT" CRM_JWT_SECRET="${CRM_JWT_SECRET:-bench-secret-0123456789abcdef0123456789abcdef}" \
    "$@" "$CRM_BENCH_SERVER" serve >"$BENCH_LOG" 2>&1 &
  BENCH_PID=$!
  trap 'kill -TERM $BENCH_PID 2>/dev/null; wait $BENCH_PID 2>/dev/null || true' EXIT
  for _ in $(seq 1 100); do
    curl -fsS "http://127.0.0.1:$BENCH_PORT/api/health" >/dev/null 2>&1 && return 0
    kill -0 "$BENCH_PID" 2>/dev/null || { tail -5 "$BENCH_LOG" >&2; return 1; }
    sleep 0.1
  done
  echo "the server did not start" >&2
  return 1
}

# Converts wrk's latency ("1.23ms", "850.00us", "1.02s") to milliseconds.
bench_to_ms() {
  awk -v v="$1" 'BEGIN {
    n = v + 0
    if (v ~ /us$/) n = n / 1000; else if (v ~ /ms$/) n = n; else if (v ~ /s$/) n = n * 1000
    printf "%.2f", n }'
}

# bench_wrk <label> <connections> <seconds> <url> [wrk args...]: prints one result line and
# sets BENCH_RPS, BENCH_P50, BENCH_P99 (ms).
bench_wrk() {
  local label="$1" connections="$2" seconds="$3" url="$4"
  shift 4
  local out
  out=$(wrk -t 2 -c "$connections" -d "${seconds}s" --latency "$@" "$url")
  BENCH_RPS=$(echo "$out" | awk '/^Requests\/sec:/ { printf "%.0f", $2 }')
  BENCH_P50=$(bench_to_ms "$(echo "$out" | awk '$1 == "50%" { print $2 }')")
  BENCH_P99=$(bench_to_ms "$(echo "$out" | awk '$1 == "99%" { print $2 }')")
  local errors
  errors=$(echo "$out" | awk '/Non-2xx or 3xx responses:/ { print $NF } /Socket errors:/ { print }')
  printf '%-34s %9s req/s   p50 %7s ms   p99 %7s ms  %s\n' "$label" "$BENCH_RPS" "$BENCH_P50" \
    "$BENCH_P99" "${errors:+(errors: $errors)}"
}
