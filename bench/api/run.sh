#!/usr/bin/env bash
# bench/api: seed a realistic database (10,000 patients, 200 providers, 200,000 appointments, 1,000,000
# symptom entries), load the running API over loopback with wrk on three scenarios, and compare with
# pgbench running the same SQL directly against the same database (the ceiling). Authentication (RS256),
# server-side sessions, authorization and auditing stay on; only the rate limits are raised.
# Usage: bench/api/run.sh [seconds per scenario = 20] [connections = 64]
set -euo pipefail
cd "$(dirname "$0")/../.."
seconds=${1:-20}
connections=${2:-64}
bench=bench/api

command -v wrk >/dev/null || { [ "$(id -u)" = 0 ] && apt-get install -y -qq wrk >/dev/null; } || { echo "wrk is missing: sudo apt-get install -y wrk"; exit 1; }
pgbin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | head -n 1)
[ -d node_modules/maildev ] || npm ci --no-audit --no-fund >/dev/null
dotnet build MenoTime.AppHost -c Release -v quiet -nologo >/dev/null

state=$(mktemp -d /tmp/menotime-bench-api-XXXXXX); chmod 755 "$state"
api_port=28000; pg_port=28432; identity_port=28001
log=$state/apphost.log
RateLimits__PerIpPerFiveMinutes=1000000000 RateLimits__PerSubjectPerFiveMinutes=1000000000 Logging__LogLevel__Default=Warning \
  dotnet MenoTime.AppHost/bin/Release/net10.0/MenoTime.AppHost.dll --state-dir="$state/data" --api-port=$api_port --postgres-port=$pg_port \
  --identity-port=$identity_port --smtp-port=28025 --mail-port=28080 --dashboard-port=28888 >"$log" 2>&1 &
apphost=$!
cleanup() { kill -TERM "$apphost" 2>/dev/null; wait "$apphost" 2>/dev/null; rm -rf "$state"; }
trap cleanup EXIT
until grep -qs "MenoTime is up" "$log"; do
  kill -0 "$apphost" 2>/dev/null || { cat "$log"; exit 1; }
  sleep 0.2
done

owner() { PGPASSWORD=$(cat "$state/data/postgres/password") "$pgbin/psql" -h 127.0.0.1 -p $pg_port -U postgres -d menotime -qAt "$@"; }
echo "seeding (10k patients, 200 providers, 200k appointments, 1M symptoms)..."
seed_start=$(date +%s)
owner -f $bench/seed.sql >/dev/null
echo "seeded in $(( $(date +%s) - seed_start )) s"

token() { curl -s -X POST "http://127.0.0.1:$identity_port/token" -H 'content-type: application/json' \
  -d "{\"subject\":\"$1\",\"roles\":[\"$2\"],\"sessionId\":\"$3\"}" | sed -E 's/.*"accessToken":"([^"]+)".*/\1/'; }
: > "$state/patients"; : > "$state/providers"
for n in $(seq 1 64); do
  echo "$(owner -c "SELECT id FROM patients WHERE subject = 'bench-patient-$n'") $(token bench-patient-$n patient bench-session-p$n)" >> "$state/patients"
  echo "$(owner -c "SELECT id FROM providers WHERE subject = 'bench-provider-$n'") $(token bench-provider-$n provider bench-session-r$n)" >> "$state/providers"
done

api_pid=$(pgrep -P "$apphost" -f MenoTime.Api.dll)
export BENCH_PATIENTS=$state/patients BENCH_PROVIDERS=$state/providers
export BENCH_NOW=$(date -u +%Y-%m-%dT%H:%M:%SZ) BENCH_DAY_FROM=$(date -u +%Y-%m-%dT00:00:00Z) BENCH_DAY_TO=$(date -u -d tomorrow +%Y-%m-%dT00:00:00Z)
app() { PGPASSWORD=$(cat "$state/data/postgres/menotime_app.password") "$@" -h 127.0.0.1 -p $pg_port -U menotime_app menotime; }

# CPU time (clock ticks) of processes: where the two cores went during a run.
ticks() { local t=0 p; for p in "$@"; do t=$(( t + $(awk '{ print $14 + $15 }' /proc/$p/stat 2>/dev/null || echo 0) )); done; echo $t; }
# pgbench's backends exit with it; the postmaster collects their CPU time as its children's.
children_ticks() { awk '{ print $16 + $17 }' /proc/$1/stat; }
# This graph's cluster only (another PostgreSQL may run on the machine): its postmaster and its children.
postmaster=$(head -n 1 "$state/data/postgres/data/postmaster.pid")
postgres_pids() { echo "$postmaster $(pgrep -P "$postmaster" | tr '\n' ' ')"; }
cpu_note=""; pg_note=""

printf '\n%-22s %10s %9s %9s %7s %12s %7s %14s\n' scenario "API req/s" "p50 ms" "p99 ms" errors "pgbench tps" ratio "pgbench p99 ms"
scenarios="appointments-upcoming mrs-submit provider-day"
# Warm every path first (JIT tiers, pools, caches): the first scenario measured must not pay for the others' warm-up.
# On 2 busy cores the tiered JIT (with PGO) keeps recompiling hot methods for about a minute of load: with 10 s per
# scenario the API's CPU per request was still falling (1.49 → 1.10 → 0.98 ms in three 20-s runs that followed).
for scenario in $scenarios; do
  wrk -t2 -c"$connections" -d30s -s $bench/$scenario.lua "http://127.0.0.1:$api_port" >"$state/warmup.log" 2>&1 \
    || { echo "wrk failed:"; cat "$state/warmup.log"; exit 1; }
done
for scenario in $scenarios; do
  pg=$(postgres_pids); api0=$(ticks $api_pid); host0=$(ticks $apphost); pg0=$(ticks $pg); t0=$(date +%s.%N)
  out=$(wrk -t2 -c"$connections" -d"${seconds}s" --latency -s $bench/$scenario.lua "http://127.0.0.1:$api_port" 2>&1)
  # Postgres backends live as long as the API's pooled connections, so the same pids cover the run.
  api_pg_ticks=$(( $(ticks $pg) - pg0 )); api_ticks=$(( $(ticks $api_pid) - api0 ))
  cpu_note+=$(awk -v a=$api_ticks -v h=$(( $(ticks $apphost) - host0 )) -v g=$api_pg_ticks \
    -v s="$(awk -v t0="$t0" -v t1="$(date +%s.%N)" 'BEGIN { print t1 - t0 }')" -v hz="$(getconf CLK_TCK)" -v c="$(nproc)" -v n="$scenario" \
    'BEGIN { f = 100 / (hz * s * c); printf "%-22s api %3.0f%%  postgres %3.0f%%  apphost+dashboard %3.0f%%  rest (wrk, idle) %3.0f%%\n", n, a * f, g * f, h * f, 100 - (a + g + h) * f }')$'\n'
  rps=$(awk '/Requests\/sec/ { print $2 }' <<<"$out")
  p50=$(awk '$1 == "50%" { print $2 }' <<<"$out"); p99=$(awk '$1 == "99%" { print $2 }' <<<"$out")
  errors=$(awk '/Non-2xx/ { e += $5 } /Socket errors/ { e += $4 + $6 + $8 + $10 } END { print e + 0 }' <<<"$out")
  pgb0=$(children_ticks $postmaster)
  # Prepared statements, as the API's own connections use them (Max Auto Prepare): the best PostgreSQL can do.
  app "$pgbin/pgbench" -n -M prepared -c "$connections" -j 2 -T "$seconds" -f $bench/pgbench/$scenario.sql \
    -l --log-prefix="$state/pgbench-$scenario" >"$state/pgbench.log" 2>&1 \
    || { echo "pgbench failed:"; cat "$state/pgbench.log"; exit 1; }
  tps=$(awk '/^tps/ { print $3; exit }' "$state/pgbench.log")
  # pgbench's own p99 (per-transaction log, latency in µs in column 3): the floor under the API's at this concurrency.
  pgb_p99=$(cat "$state/pgbench-$scenario".* | awk '{ print $3 }' | sort -n | awk '{ v[NR] = $1 } END { printf "%.2f", v[int(NR * 0.99)] / 1000 }')
  # PostgreSQL CPU per request: through the API vs pgbench's same SQL (pgbench's backends exit with it: count them gone).
  pg_note+=$(awk -v g=$(( $(children_ticks $postmaster) - pgb0 )) -v a="$api_pg_ticks" -v r="$rps" -v hz="$(getconf CLK_TCK)" -v s="$seconds" -v t="$tps" -v n="$scenario" -v api="$api_ticks" \
    'BEGIN { printf "%-22s PostgreSQL through the API %.2f ms, through pgbench %.2f ms; the API process itself %.2f ms\n", n, 1000 * a / hz / (s * r), 1000 * g / hz / (s * t), 1000 * api / hz / (s * r) }')$'\n'
  ratio=$(awk -v a="$rps" -v b="$tps" 'BEGIN { printf "%.0f%%", 100 * a / b }')
  ms() { awk -v v="$1" 'BEGIN { if (v ~ /us$/) printf "%.2f", v / 1000; else if (v ~ /ms$/) printf "%.2f", v + 0; else printf "%.2f", v * 1000 }'; }
  printf '%-22s %10.0f %9s %9s %7s %12.0f %7s %14s\n' "$scenario" "$rps" "$(ms "$p50")" "$(ms "$p99")" "$errors" "$tps" "$ratio" "$pgb_p99"
done
echo
echo "share of the $(nproc) cores during each API run:"
printf '%s' "$cpu_note"
echo "CPU per request:"
printf '%s' "$pg_note"
echo "API peak memory (VmHWM): $(awk '/VmHWM/ { printf "%.0f MB", $2 / 1024 }' /proc/$api_pid/status)   connections: $connections   machine: $(nproc) cores"
