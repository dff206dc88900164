#!/usr/bin/env bash
# bench/worker: deliver N due reminders with 1, 2 and 4 worker replicas into a local SMTP sink and compare with
# a raw System.Net.Mail loop sending the same messages to the same sink (the ceiling). Prints reminders/s, the
# ratio, duplicates and missing messages, and each worker's peak memory. Runs the real graph (PostgreSQL,
# migrations, API, workers) from the AppHost's Program on free ports; nothing is left running.
# Usage: bench/worker/run.sh [count=100000] [replica counts=1,2,4]
# BENCH_STATEMENTS=1 also prints PostgreSQL's busiest statements during delivery (pg_stat_statements).
set -euo pipefail
cd "$(dirname "$0")/../.."
[ -d node_modules/maildev ] || npm ci --no-audit --no-fund >/dev/null
dotnet build bench/worker -c Release -v quiet -nologo >/dev/null
exec dotnet bench/worker/bin/Release/net10.0/MenoTime.Bench.Worker.dll "${1:-100000}" "${2:-1,2,4}"
