#!/usr/bin/env bash
# Load test of the cart, on this machine, against a release build, with the cart database's own
# one-query ceiling measured beside it in the same run.
#
#   Benchmarks/cart.sh [duration] [connections]      (defaults: 15s, 32)
#
# Starts `plexus up --demo` in a temporary data directory, signs the demo customer in, fills their
# cart with 10 lines (10 products in stock) and applies WELCOME10, then measures with wrk through
# the gateway (:8080):
#   1. GET /api/v1/cart, the catalogue quote cached (PLEXUS_CART_QUOTE_CACHE_MS=2000, the default):
#      per read one promotion evaluation, the quote mostly from the cache
#   2. add to cart: POST /api/v1/cart/items for a new guest each time (a guest cart is made, the
#      variant quoted afresh, the line written, the cart priced)
#   3. GET /api/v1/cart with the quote cache off (PLEXUS_CART_QUOTE_CACHE_MS=0): one catalogue
#      call and one promotion call per read
#   4. for scale: GET /api/v1/products/{id} with the catalogue's cache off, cycling over the 10
#      products (the aim: a 10-line cart read costs no more than two of these)
# and `pgbench -S` (built-in select-only, scale 10) on the cart's database. The gateway's per-client
# rate limit is raised: wrk is one client.
set -euo pipefail
cd "$(dirname "$0")/.."
duration=${1:-15s}
connections=${2:-32}
# shellcheck source=Benchmarks/demo-system.sh
. Benchmarks/demo-system.sh
start

token() {
  curl -sf -X POST http://127.0.0.1:8080/api/v1/auth/login -H 'content-type: application/json' \
    -d '{"email":"customer@plexus.local","password":"plexus-customer-2026"}' | python3 -c 'import json,sys; print(json.load(sys.stdin)["accessToken"])'
}
ACCESS=$(token)
python3 - "$ACCESS" "$data" <<'PY'
import json, sys, urllib.request
token, data = sys.argv[1], sys.argv[2]
def call(method, path, body=None, auth=True):
    request = urllib.request.Request("http://127.0.0.1:8080" + path, method=method,
                                     data=json.dumps(body).encode() if body is not None else None)
    request.add_header("content-type", "application/json")
    if auth: request.add_header("authorization", "Bearer " + token)
    return json.load(urllib.request.urlopen(request))
products = call("GET", "/api/v1/products?limit=10&inStock=true&sort=newest", auth=False)["items"]
variants = []
for product in products:
    detail = call("GET", "/api/v1/products/" + product["id"], auth=False)
    variant = next(v for v in detail["variants"] if v["available"] > 0)
    variants.append(variant["id"])
    call("POST", "/api/v1/cart/items", {"variantId": variant["id"], "quantity": 1})
cart = call("PUT", "/api/v1/cart/promotion", {"code": "WELCOME10"})
assert len(cart["lines"]) == 10 and cart["discount"]["amount"] > 0, cart
with open(data + "/add.lua", "w") as f:
    f.write('wrk.method = "POST"\nwrk.headers["content-type"] = "application/json"\n')
    f.write('wrk.body = \'{"variantId":"%s","quantity":1}\'\n' % variants[0])
with open(data + "/products.lua", "w") as f:
    f.write("ids = {" + ",".join('"%s"' % p["id"] for p in products) + "}\n")
    f.write('i = 0\nrequest = function()\n  i = (i % #ids) + 1\n  return wrk.format(nil, "/api/v1/products/" .. ids[i])\nend\n')
PY

echo "# $(date -u +%Y-%m-%dT%H:%MZ) on $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
echo "## GET /api/v1/cart, 10 lines and a code, quote cache on ($connections connections, $duration)"
wrk -t2 -c"$connections" -d"$duration" --latency -H "authorization: Bearer $ACCESS" http://127.0.0.1:8080/api/v1/cart
echo "## add to cart for a new guest each time ($connections connections, $duration)"
wrk -t2 -c"$connections" -d"$duration" --latency -s "$data/add.lua" http://127.0.0.1:8080/api/v1/cart/items

# shellcheck disable=SC1091
cart_url=$(. "$data/env"; echo "${PLEXUS_DATABASE_URL%/*}/plexus_cart") # not exported: a restart must use its own PostgreSQL again
echo "## pgbench -S on plexus_cart (scale 10, $connections clients, $duration)"
pgbench -q -i -s 10 "$cart_url" >/dev/null 2>&1
pgbench -S -n -c "$connections" -j 2 -T "${duration%s}" "$cart_url" 2>/dev/null | grep -E "tps|latency"
pgbench -i -I d "$cart_url" >/dev/null 2>&1 # drop pgbench's tables again

stop
export PLEXUS_CART_QUOTE_CACHE_MS=0 PLEXUS_CATALOG_CACHE_SIZE=0
start
ACCESS=$(token)
echo "## GET /api/v1/cart, 10 lines and a code, quote cache off: one catalogue and one promotion call per read ($connections connections, $duration)"
wrk -t2 -c"$connections" -d"$duration" --latency -H "authorization: Bearer $ACCESS" http://127.0.0.1:8080/api/v1/cart
echo "## for scale: product detail via gateway, catalogue cache off, cycling over the 10 products ($connections connections, $duration)"
wrk -t2 -c"$connections" -d"$duration" --latency -s "$data/products.lua" http://127.0.0.1:8080
