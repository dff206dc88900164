#!/usr/bin/env bash
# bench/startup: time from launching the built AppHost to every resource healthy ("MenoTime is up"),
# and from SIGTERM to the AppHost's exit with everything stopped. The first run creates a fresh
# PostgreSQL cluster (cold); the following reuse it (warm), as a developer's second run does.
# Usage: bench/startup/run.sh [runs=5]   (uses the default ports: stop any running MenoTime first)
set -euo pipefail
cd "$(dirname "$0")/../.."
runs=${1:-5}

dotnet build MenoTime.AppHost -v quiet -nologo >/dev/null
[ -d node_modules/maildev ] || npm ci --no-audit --no-fund >/dev/null
dll=MenoTime.AppHost/bin/Debug/net10.0/MenoTime.AppHost.dll
state=$(mktemp -d /tmp/menotime-bench-XXXXXX)
chmod 755 "$state"
trap 'rm -rf "$state"' EXIT

now() { date +%s.%N; }
printf '%-6s %12s %10s\n' run "healthy (s)" "stop (s)"
warm_up=(); warm_stop=()
for i in $(seq 1 "$runs"); do
  log=$state/run-$i.log
  start=$(now)
  dotnet "$dll" --state-dir="$state/data" >"$log" 2>&1 &
  pid=$!
  until grep -qs "MenoTime is up" "$log"; do
    if ! kill -0 "$pid" 2>/dev/null; then echo "the AppHost exited before it was up:"; cat "$log"; exit 1; fi
    sleep 0.02
  done
  up=$(now)
  kill -TERM "$pid"
  wait "$pid"
  down=$(now)
  healthy=$(awk -v a="$start" -v b="$up" 'BEGIN { printf "%.2f", b - a }')
  stop=$(awk -v a="$up" -v b="$down" 'BEGIN { printf "%.2f", b - a }')
  label=$([ "$i" = 1 ] && echo cold || echo warm)
  printf '%-6s %12s %10s\n' "$i $label" "$healthy" "$stop"
  if [ "$i" != 1 ]; then warm_up+=("$healthy"); warm_stop+=("$stop"); fi
done

median() { printf '%s\n' "$@" | sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
if [ "${#warm_up[@]}" -gt 0 ]; then
  up_median=$(median "${warm_up[@]}"); stop_median=$(median "${warm_stop[@]}")
  echo "warm median: healthy in ${up_median} s (target < 10 s, ratio $(awk -v m="$up_median" 'BEGIN { printf "%.2f", m / 10 }')), stopped in ${stop_median} s (target < 3 s, ratio $(awk -v m="$stop_median" 'BEGIN { printf "%.2f", m / 3 }'))"
fi
