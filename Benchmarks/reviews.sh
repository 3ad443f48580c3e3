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
# and prints a row per run with CPU time per request of each process (gateway, review, PostgreSQL…),
# read from /proc/<pid>/stat before and after it.
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

echo "# $(date -u +%Y-%m-%dT%H:%MZ) on $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
start
prepare
echo "| request | requests/s | p50 | p99 | CPU per request |"
echo "| --- | --- | --- | --- | --- |"
row "reviews page through the gateway, page cache on, 100 products" -s "$data/reviews.lua" http://127.0.0.1:8080
stop
export PLEXUS_REVIEW_CACHE_ENTRIES=0
start
prepare
row "the same with the page cache off" -s "$data/reviews.lua" http://127.0.0.1:8080
