#!/usr/bin/env bash
# Load test of a product's review page through the gateway, on this machine, against a release build.
#
#   Benchmarks/reviews.sh [duration] [connections]      (defaults: 15s, 32)
#
# Starts `plexus up --demo` (about 300 products with 1–12 demo reviews each), then measures with wrk
# GET /api/v1/products/{id}/reviews (20 per page with the rating summary) cycling over the 100 best
# rated products:
#   1. with the review service's page cache on (the default)
#   2. with it off (PLEXUS_REVIEW_CACHE_ENTRIES=0): two queries per request (page and summary)
# and reports CPU time per request for the gateway, the review service and PostgreSQL, read from
# /proc/<pid>/stat before and after each run.
set -euo pipefail
cd "$(dirname "$0")/.."
duration=${1:-15s}
connections=${2:-32}
# shellcheck source=Benchmarks/demo-system.sh
. Benchmarks/demo-system.sh

prepare() {
  python3 - "$data" <<'PY'
import json, sys, time, urllib.request
data = sys.argv[1]
for _ in range(300): # the demo's summaries reach the catalogue as events, just after start
    items = json.load(urllib.request.urlopen("http://127.0.0.1:8080/api/v1/products?sort=rating&limit=100"))["items"]
    if len(items) == 100 and all(item["rating"]["count"] > 0 for item in items): break
    time.sleep(0.2)
else:
    sys.exit("the demo reviews did not reach the catalogue")
with open(data + "/reviews.lua", "w") as f:
    f.write("ids = {" + ",".join('"%s"' % item["id"] for item in items) + "}\n")
    f.write('i = 0\nrequest = function()\n  i = (i % #ids) + 1\n  return wrk.format(nil, "/api/v1/products/" .. ids[i] .. "/reviews")\nend\n')
PY
}

# CPU ticks of each process under `plexus up`, by name.
ticks() { python3 Benchmarks/proc_cpu.py "$up"; }

# Runs wrk and prints its figures and the CPU per request of the gateway, review and PostgreSQL.
measure() {
  before=$(ticks)
  wrk -t2 -c"$connections" -d"$duration" --latency -s "$data/reviews.lua" http://127.0.0.1:8080 | tee "$data/wrk.txt"
  after=$(ticks)
  python3 - "$before" "$after" "$data/wrk.txt" <<'PY'
import os, re, sys
parse = lambda text: dict(item.split("=") for item in text.split())
before, after = parse(sys.argv[1]), parse(sys.argv[2])
requests = int(re.search(r"(\d+) requests in", open(sys.argv[3]).read()).group(1))
tick = os.sysconf("SC_CLK_TCK")
print("| process | CPU µs per request |\n| --- | --- |")
for name in ("gateway", "review", "postgres"):
    used = int(after.get(name, 0)) - int(before.get(name, 0))
    print(f"| {name} | {used / tick / max(requests, 1) * 1e6:.0f} |")
PY
}

echo "# $(date -u +%Y-%m-%dT%H:%MZ) on $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
start
prepare
echo "## GET /api/v1/products/{id}/reviews through the gateway, page cache on, 100 products ($connections connections, $duration)"
measure
stop
export PLEXUS_REVIEW_CACHE_ENTRIES=0
start
prepare
echo "## the same with the page cache off ($connections connections, $duration)"
measure
