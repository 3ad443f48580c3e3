#!/usr/bin/env bash
# Load test of the catalogue's public reads, on this machine, against a release build, with the
# database's own one-query ceiling measured beside them in the same run.
#
#   Benchmarks/catalog.sh [duration] [connections]      (defaults: 15s, 32)
#
# Starts `plexus up --demo` (1,000 demo products) in a temporary data directory, then measures with
# wrk through the gateway (:8080):
#   1. GET /api/v1/products/{slug}: product detail served from the in-process cache
#   2. the same with the cache turned off (PLEXUS_CATALOG_CACHE_SIZE=0; every request reads PostgreSQL),
#      cycling over all 1,000 products
#   3. a filtered listing (category subtree, price range, in stock, sorted by price, with facets)
#   4. a search (typo-corrected full text, ranked, with facets)
#   3 and 4 again with the cache off, where every request runs its SQL.
# and `pgbench -S` (built-in select-only, scale 10) on the catalogue's database: the ceiling for a
# one-query read on this box. The gateway's per-client rate limit is raised: wrk is one client.
set -euo pipefail
cd "$(dirname "$0")/.."
duration=${1:-15s}
connections=${2:-32}
# shellcheck source=Benchmarks/demo-system.sh
. Benchmarks/demo-system.sh
start

slugs=$(curl -sf "http://127.0.0.1:8080/api/v1/products?limit=100&sort=newest" | python3 -c 'import json,sys; print(json.load(sys.stdin)["items"][0]["slug"])')
python3 - "$data/slugs.lua" <<'PY'
import json, sys, urllib.request
slugs, cursor = [], None
while True:
    url = "http://127.0.0.1:8080/api/v1/products?limit=100" + (f"&cursor={cursor}" if cursor else "")
    page = json.load(urllib.request.urlopen(url))
    slugs += [item["slug"] for item in page["items"]]
    cursor = page["nextCursor"]
    if not cursor: break
with open(sys.argv[1], "w") as f:
    f.write("slugs = {" + ",".join(f'"{s}"' for s in slugs) + "}\n")
    f.write("i = 0\nrequest = function()\n  i = (i % #slugs) + 1\n  return wrk.format(nil, \"/api/v1/products/\" .. slugs[i])\nend\n")
PY
listing="/api/v1/products?category=electronics&minPrice=2000&maxPrice=20000&inStock=true&sort=price&limit=20"
search="/api/v1/products?q=wireless%20headphones&limit=20"

echo "# $(date -u +%Y-%m-%dT%H:%MZ) on $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
echo "## product detail via gateway, cached, one product ($connections connections, $duration)"
wrk -t2 -c"$connections" -d"$duration" --latency "http://127.0.0.1:8080/api/v1/products/$slugs"
echo "## product detail via gateway, cached, cycling over all products ($connections connections, $duration)"
wrk -t2 -c"$connections" -d"$duration" --latency -s "$data/slugs.lua" http://127.0.0.1:8080
echo "## filtered listing via gateway: $listing"
wrk -t2 -c"$connections" -d"$duration" --latency "http://127.0.0.1:8080$listing"
echo "## search via gateway: $search"
wrk -t2 -c"$connections" -d"$duration" --latency "http://127.0.0.1:8080$search"

# shellcheck disable=SC1091
catalog_url=$(. "$data/env"; echo "${PLEXUS_DATABASE_URL%/*}/plexus_catalog") # not exported: a restart must use its own PostgreSQL again
echo "## pgbench -S on plexus_catalog (scale 10, $connections clients, $duration)"
pgbench -q -i -s 10 "$catalog_url" >/dev/null 2>&1
pgbench -S -n -c "$connections" -j 2 -T "${duration%s}" "$catalog_url" 2>/dev/null | grep -E "tps|latency"
pgbench -i -I d "$catalog_url" >/dev/null 2>&1 # drop pgbench's tables again

stop
export PLEXUS_CATALOG_CACHE_SIZE=0
start
echo "## product detail via gateway, cache off, cycling over all products ($connections connections, $duration)"
wrk -t2 -c"$connections" -d"$duration" --latency -s "$data/slugs.lua" http://127.0.0.1:8080
echo "## product detail direct on catalog (:8082), cache off, cycling ($connections connections, $duration)"
wrk -t2 -c"$connections" -d"$duration" --latency -s "$data/slugs.lua" http://127.0.0.1:8082
echo "## filtered listing via gateway, cache off: $listing"
wrk -t2 -c"$connections" -d"$duration" --latency "http://127.0.0.1:8080$listing"
echo "## search via gateway, cache off: $search"
wrk -t2 -c"$connections" -d"$duration" --latency "http://127.0.0.1:8080$search"
echo "## misspelt search via gateway, cache off: /api/v1/products?q=wireles%20hedphones&limit=20"
wrk -t2 -c"$connections" -d"$duration" --latency "http://127.0.0.1:8080/api/v1/products?q=wireles%20hedphones&limit=20"
