#!/usr/bin/env bash
# The request path's cost, measured against two anchors in the same run: a bare Hummingbird 2 server
# (Benchmarks/BareHello, no Plexus code) and nginx as a reverse proxy to the catalogue.
#
#   Benchmarks/path.sh [duration] [connections]      (defaults: 10s, 32)
#
# Builds the release `plexus` and `bare-hello`, starts `plexus up --demo` in a temporary data
# directory, the bare server on :18099 and nginx on :18098 (keep-alive upstream to catalog :8082),
# then prints one Markdown row per request with requests/s, p50, p99 and the CPU time per request of
# every process that worked for it (utime + stime from /proc/<pid>/stat around the run):
#   idle private memory of each service (smaps_rollup, before any load);
#   the kit floor: GET /health/live on the bare server, on catalog, on the gateway;
#   the hop: a cached product detail on catalog, through the gateway, through nginx;
#   GET /api/v1/users/me through the gateway (the demo customer's token);
# then, restarted with the catalogue's caches off (PLEXUS_CATALOG_CACHE_SIZE=0):
#   the 1,000 demo products' details read one by one twice (the first read of each builds its stored
#   document, the second fetches it), then an uncached detail on catalog cycling over them;
#   filtered and faceted listings cycling over every combination of category, price band, in-stock
#   and sort (about 1,600 different filter sets), on catalog and through the gateway;
#   `pgbench -S` on the catalogue's database (the one-query ceiling of this box).
# Needs wrk, pgbench and nginx (apt-get install wrk postgresql-contrib nginx).
set -euo pipefail
cd "$(dirname "$0")/.."
duration=${1:-10s}
connections=${2:-32}
command -v nginx >/dev/null || { echo "nginx is required (apt-get install nginx)"; exit 1; }
swift build -c release --product bare-hello >/dev/null
# shellcheck source=Benchmarks/demo-system.sh
. Benchmarks/demo-system.sh

.build/release/bare-hello 18099 >"$data/hello.log" 2>&1 &
hello=$!
cat >"$data/nginx.conf" <<CONF
worker_processes auto;
pid $data/nginx.pid;
error_log $data/nginx-error.log warn;
events { worker_connections 1024; }
http {
  access_log off;
  upstream catalog { server 127.0.0.1:8082; keepalive 64; }
  server {
    listen 127.0.0.1:18098;
    location / { proxy_pass http://catalog; proxy_http_version 1.1; proxy_set_header Connection ""; }
  }
}
CONF
nginx -c "$data/nginx.conf" -g 'daemon off;' &
nginx=$!
trap 'kill $hello $nginx 2>/dev/null; stop; rm -rf "$data"' EXIT

anchors=(hello=$hello nginx=$nginx) # counted by `row` beside the services

# Lua scripts cycling over every demo product and over the listing filter sets.
scripts() {
  python3 - "$data" <<'PY'
import itertools, json, sys, urllib.request
data = sys.argv[1]
get = lambda path: json.load(urllib.request.urlopen("http://127.0.0.1:8082" + path))
slugs, cursor = [], None
while True:
    page = get("/api/v1/products?limit=100" + (f"&cursor={cursor}" if cursor else ""))
    slugs += [item["slug"] for item in page["items"]]
    cursor = page.get("nextCursor")
    if not cursor: break
flat = lambda tree: [slug for node in tree for slug in [node["slug"]] + flat(node.get("children", []))]
categories = flat(get("/api/v1/categories"))
bands = ["", "&maxPrice=2000", "&minPrice=2000&maxPrice=5000", "&minPrice=5000&maxPrice=20000", "&minPrice=20000"]
stock = ["", "&inStock=true"]
sorts = ["newest", "price", "-price", "rating"]
listings = [f"/api/v1/products?category={c}{b}{s}&sort={o}&limit=20" for c, b, s, o in itertools.product(categories, bands, stock, sorts)]
def script(name, paths):
    with open(f"{data}/{name}.lua", "w") as f:
        f.write("paths = {" + ",".join(json.dumps(p) for p in paths) + "}\n")
        f.write("i = 0\nrequest = function()\n  i = (i % #paths) + 1\n  return wrk.format(nil, paths[i])\nend\n")
script("details", ["/api/v1/products/" + s for s in slugs])
script("listings", listings)
print(f"{len(slugs)} products, {len(listings)} listing filter sets", file=sys.stderr)
PY
}

echo "# $(date -u +%Y-%m-%dT%H:%MZ) on $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs); wrk -t2 -c$connections -d$duration"
start
for _ in $(seq 1 50); do curl -sf http://127.0.0.1:18099/health/live >/dev/null && curl -sf http://127.0.0.1:18098/health/live >/dev/null && break; sleep 0.2; done
slug=$(curl -sf "http://127.0.0.1:8082/api/v1/products?limit=1&sort=newest" | python3 -c 'import json,sys; print(json.load(sys.stdin)["items"][0]["slug"])')
token=$(curl -sf -X POST http://127.0.0.1:8080/api/v1/auth/login -H 'content-type: application/json' \
  -d '{"email":"customer@plexus.local","password":"plexus-customer-2026"}' | python3 -c 'import json,sys; print(json.load(sys.stdin)["accessToken"])')
# Idle memory first: private (not shared) resident memory of each service, from smaps_rollup.
python3 - "$up" <<'PY'
import os, sys
sys.path.insert(0, "Benchmarks")
from proc_cpu import processes
sizes = {}
for pid, (name, _) in processes(int(sys.argv[1])).items():
    if name in ("up", "postgres"): continue
    fields = dict(line.split(":", 1) for line in open(f"/proc/{pid}/smaps_rollup").read().splitlines()[1:])
    kb = sum(int(fields[key].split()[0]) for key in ("Private_Clean", "Private_Dirty"))
    sizes[name] = sizes.get(name, 0) + kb
print("idle private memory (MB): " + ", ".join(f"{name} {kb / 1024:.1f}" for name, kb in sorted(sizes.items())))
PY
echo "| request | requests/s | p50 | p99 | CPU per request |"
echo "| --- | --- | --- | --- | --- |"
row "bare Hummingbird: \`GET /health/live\`" http://127.0.0.1:18099/health/live
row "catalog: \`GET /health/live\`" http://127.0.0.1:8082/health/live
row "gateway: \`GET /health/live\`" http://127.0.0.1:8080/health/live
row "cached product detail on catalog" "http://127.0.0.1:8082/api/v1/products/$slug"
row "cached product detail through the gateway" "http://127.0.0.1:8080/api/v1/products/$slug"
row "cached product detail through nginx" "http://127.0.0.1:18098/api/v1/products/$slug"
row "\`GET /api/v1/users/me\` through the gateway" -H "Authorization: Bearer $token" http://127.0.0.1:8080/api/v1/users/me
stop

export PLEXUS_CATALOG_CACHE_SIZE=0
start
scripts
# The first read of a product after a change builds its stored document; later reads fetch it.
python3 - "$data/details.lua" <<'PY'
import http.client, json, re, sys, time
paths = json.loads("[" + re.search(r"paths = \{(.*)\}", open(sys.argv[1]).read()).group(1) + "]")
connection = http.client.HTTPConnection("127.0.0.1", 8082)
for label in ("first reads (each builds and stores its document)", "second reads (stored documents)"):
    began = time.perf_counter()
    for path in paths:
        connection.request("GET", path)
        connection.getresponse().read()
    print(f"uncached detail, {len(paths)} products one after another on one connection, {label}: {(time.perf_counter() - began) / len(paths) * 1000:.2f} ms each")
PY
row "uncached product detail on catalog, cycling" -s "$data/details.lua" http://127.0.0.1:8082
row "uncached listings on catalog, cycling" -s "$data/listings.lua" http://127.0.0.1:8082
row "uncached listings through the gateway, cycling" -s "$data/listings.lua" http://127.0.0.1:8080
# shellcheck disable=SC1091
catalog_url=$(. "$data/env"; echo "${PLEXUS_DATABASE_URL%/*}/plexus_catalog")
pgbench -q -i -s 10 "$catalog_url" >/dev/null 2>&1
echo "pgbench -S on plexus_catalog (scale 10, $connections clients): $(pgbench -S -n -c "$connections" -j 2 -T "${duration%s}" "$catalog_url" 2>/dev/null | grep -E '^tps' | head -1)"
pgbench -i -I d "$catalog_url" >/dev/null 2>&1
