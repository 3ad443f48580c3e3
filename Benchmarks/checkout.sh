#!/usr/bin/env bash
# Completed checkouts per second through the gateway, on this machine, against a release build.
#
#   Benchmarks/checkout.sh [seconds] [buyers]      (defaults: 30, 32)
#
# Starts `plexus up --demo` in a temporary data directory, registers and verifies `buyers` customers
# (through the API and the dev mailbox), then runs them at once, each in a loop: add a random in-stock
# variant to the cart → check out (Idempotency-Key) → confirm with the sandbox's 4242 card → poll the
# order every 50 ms until it is `paid` (the event path: payment.succeeded → order). It prints completed checkouts per second, p50/p99
# of each step, CPU seconds per completed checkout of every process (from /proc/<pid>/stat: utime +
# stime before and after), and then runs `plexus audit` (it must be clean: nothing oversold, every
# paid order captured, every code use accounted for). The load generator is Python threads with
# keep-alive connections; its own CPU is reported beside the system's.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-30}
buyers=${2:-32}
export PLEXUS_IDENTITY_BCRYPT_COST=6   # registration and login are set-up here, not measured
export PLEXUS_GATEWAY_AUTH_RATE_LIMIT=100000 PLEXUS_GATEWAY_AUTH_RATE_LIMIT_BURST=100000
# shellcheck source=Benchmarks/demo-system.sh
. Benchmarks/demo-system.sh
start

echo "# $(date -u +%Y-%m-%dT%H:%MZ) on $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
echo "## $buyers buyers for ${seconds}s: cart → checkout → confirm → paid"
python3 - "$seconds" "$buyers" "$up" <<'PY'
import http.client, json, os, random, re, sys, threading, time, urllib.request, uuid

seconds, buyers, up = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
base = "http://127.0.0.1:8080"

def call(method, path, body=None, token=None, key=None, origin=base, forwarded=None):
    request = urllib.request.Request(origin + path, method=method, data=json.dumps(body).encode() if body is not None else None)
    if forwarded: request.add_header("x-forwarded-for", forwarded)
    request.add_header("content-type", "application/json")
    if token: request.add_header("authorization", "Bearer " + token)
    if key: request.add_header("idempotency-key", key)
    return json.load(urllib.request.urlopen(request))

# buyers: registered, verified through the dev mailbox, signed in (set-up, not measured) at identity
# directly, each from an address of its own: identity throttles these per client address, and the 32
# buyers are one machine
tokens = []
for i in range(buyers):
    email = f"buyer{i}-{uuid.uuid4().hex[:6]}@bench.local"
    identity, address = "http://127.0.0.1:8081", f"10.9.0.{i + 1}"
    call("POST", "/api/v1/auth/register", {"email": email, "password": "a long bench passphrase", "name": f"Buyer {i}"},
         origin=identity, forwarded=address)
    for _ in range(100):
        try:
            mail = call("GET", "/dev/mailbox/latest?to=" + email)
            break
        except Exception:
            time.sleep(0.1)
    token = re.search(r"token=([\w-]+)", mail["text"])[1]
    call("POST", "/api/v1/auth/verify-email", {"token": token}, origin=identity, forwarded=address)
    tokens.append(call("POST", "/api/v1/auth/login", {"email": email, "password": "a long bench passphrase"},
                       origin=identity, forwarded=address)["accessToken"])

# what they buy: in-stock variants of 200 products
variants = []
for page in range(10):
    items = call("GET", f"/api/v1/products?limit=20&inStock=true&sort=newest" + (f"&cursor={cursor}" if page else ""))
    cursor = items["nextCursor"]
    for product in items["items"]:
        detail = call("GET", "/api/v1/products/" + product["id"])
        variants += [v["id"] for v in detail["variants"] if v["available"] > 5]
    if not cursor: break

sys.path.insert(0, "Benchmarks")
from proc_cpu import processes as process_tree
processes = lambda: process_tree(up)

steps = {"add": [], "checkout": [], "confirm": [], "paid": [], "total": []}
lock = threading.Lock()
completed, failed = [0], {}
stop_at = time.time() + seconds

def buyer(token):
    connection = http.client.HTTPConnection("127.0.0.1", 8080, timeout=30)
    def send(method, path, body=None, key=None):
        headers = {"content-type": "application/json", "authorization": "Bearer " + token}
        if key: headers["idempotency-key"] = key
        connection.request(method, path, json.dumps(body) if body is not None else None, headers)
        response = connection.getresponse()
        return response.status, json.loads(response.read() or b"null")
    address = {"name": "Bench Buyer", "line1": "1 Load Street", "city": "Springfield", "postalCode": "12345", "country": "US"}
    while time.time() < stop_at:
        try:
            t0 = time.perf_counter()
            status, _ = send("POST", "/api/v1/cart/items", {"variantId": random.choice(variants), "quantity": 1})
            t1 = time.perf_counter()
            if status != 200: raise RuntimeError(f"add {status}")
            status, result = send("POST", "/api/v1/orders/checkout", {"shippingAddress": address}, key=str(uuid.uuid4()))
            t2 = time.perf_counter()
            if status != 201 or not result.get("payment"): raise RuntimeError(f"checkout {status} {result.get('code') if result else ''}")
            order, payment = result["order"]["id"], result["payment"]["id"]
            card = {"type": "card", "card": {"number": "4242424242424242", "expMonth": 12, "expYear": 2034, "cvc": "123"}}
            status, _ = send("POST", f"/api/v1/payments/{payment}/confirm", {"paymentMethod": card}, key=str(uuid.uuid4()))
            t3 = time.perf_counter()
            if status != 200: raise RuntimeError(f"confirm {status}")
            while True:
                status, detail = send("GET", f"/api/v1/orders/{order}")
                if detail and detail.get("status") == "paid": break
                if time.perf_counter() - t3 > 30: raise RuntimeError("not paid in 30 s")
                time.sleep(0.05)
            t4 = time.perf_counter()
            with lock:
                completed[0] += 1
                for name, value in (("add", t1 - t0), ("checkout", t2 - t1), ("confirm", t3 - t2), ("paid", t4 - t3), ("total", t4 - t0)):
                    steps[name].append(value)
        except Exception as error:
            with lock: failed[str(error)] = failed.get(str(error), 0) + 1
            connection.close()
            connection = http.client.HTTPConnection("127.0.0.1", 8080, timeout=30)

before, own_before, started = processes(), os.times(), time.time()
threads = [threading.Thread(target=buyer, args=(token,)) for token in tokens]
for thread in threads: thread.start()
for thread in threads: thread.join()
elapsed, after, own_after = time.time() - started, processes(), os.times()

def pct(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, int(len(values) * p))] * 1000 if values else float("nan")
done = completed[0]
print(f"completed checkouts: {done} in {elapsed:.1f} s = {done / elapsed:.1f}/s; failed: {sum(failed.values())} {failed if failed else ''}")
print("| step | p50 ms | p99 ms |\n| --- | --- | --- |")
for name in ("add", "checkout", "confirm", "paid", "total"):
    print(f"| {name} | {pct(steps[name], 0.5):.1f} | {pct(steps[name], 0.99):.1f} |")
ticks = os.sysconf("SC_CLK_TCK")
usage = {}
for pid, (name, cpu) in after.items():
    usage[name] = usage.get(name, 0) + cpu - before.get(pid, (name, 0))[1]
total = sum(usage.values())
print("| process | CPU ms per checkout |\n| --- | --- |")
for name, cpu in sorted(usage.items(), key=lambda item: -item[1]):
    print(f"| {name} | {cpu / ticks / max(done, 1) * 1000:.2f} |")
print(f"| all of Plexus + PostgreSQL | {total / ticks / max(done, 1) * 1000:.2f} |")
own = (own_after.user - own_before.user) + (own_after.system - own_before.system)
print(f"| load generator (python) | {own / max(done, 1) * 1000:.2f} |")
PY

echo "## plexus audit after the run"
export PLEXUS_DATABASE_URL="postgres://plexus:$(cat "$data/pg/password")@127.0.0.1:54339/plexus?sslmode=disable"
for attempt in $(seq 1 30); do
  if "$bin" audit --settle 0 > "$data/audit.txt" 2>&1; then cat "$data/audit.txt"; exit 0; fi
  sleep 2
done
cat "$data/audit.txt"; echo "the audit is not clean"; exit 1
