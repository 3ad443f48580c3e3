# Sourced by the benchmark scripts (from the package root): checks the instruments, builds the
# release `plexus`, and defines `start` / `stop` for `plexus up --demo` in a temporary data
# directory ($data, removed on exit). The gateway's per-client rate limit is raised: wrk is one client.
command -v wrk >/dev/null || { echo "wrk is required (apt-get install wrk)"; exit 1; }
command -v pgbench >/dev/null || { echo "pgbench is required (apt-get install postgresql-contrib or postgresql-client)"; exit 1; }

swift build -c release --product plexus >/dev/null
bin=.build/release/plexus
data=$(mktemp -d /tmp/plexus-bench.XXXXXX)
chmod 755 "$data" # PostgreSQL runs unprivileged when this script runs as root
export PLEXUS_GATEWAY_RATE_LIMIT=10000000 PLEXUS_GATEWAY_RATE_LIMIT_BURST=10000000 PLEXUS_LOG_LEVEL=warning
up=""
start() {
  "$bin" up --demo --data-directory "$data" --postgres-port 54339 >>"$data/up.log" 2>&1 &
  up=$!
  # ready, and the demo orders placed (the banner is printed after them)
  for _ in $(seq 1 600); do grep -q "Press Ctrl-C to stop" "$data/up.log" 2>/dev/null && curl -sf http://127.0.0.1:8080/health/ready >/dev/null && return; sleep 0.2; done
  echo "plexus did not start"; tail -50 "$data/up.log"; exit 1
}
stop() { kill -INT "$up" 2>/dev/null; wait "$up" 2>/dev/null || true; }
trap 'stop; rm -rf "$data"' EXIT

# `row <label> <wrk arguments…>`: runs wrk ($connections connections, $duration) and prints one
# Markdown row: requests/s, p50, p99 and the CPU per request of each process under `plexus up`
# (and of the `name=pid` entries of the array `anchors`, when a script sets it).
row() {
  local label=$1; shift
  local before after
  before=$(python3 Benchmarks/proc_cpu.py "$up" ${anchors[@]+"${anchors[@]}"})
  wrk -t2 -c"$connections" -d"$duration" --latency "$@" >"$data/wrk.txt"
  after=$(python3 Benchmarks/proc_cpu.py "$up" ${anchors[@]+"${anchors[@]}"})
  python3 Benchmarks/wrk_row.py "$label" "$before" "$after" "$data/wrk.txt"
}
