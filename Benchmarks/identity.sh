#!/usr/bin/env bash
# Load test of the identity read path and of login, on this machine, against a release build.
#
#   Benchmarks/identity.sh [duration] [connections]      (defaults: 20s, 32)
#
# Starts `plexus up` in a temporary data directory (its own embedded PostgreSQL), creates a verified
# user, then measures with wrk:
#   1. GET /api/v1/users/me through the gateway (:8080)
#   2. GET /api/v1/users/me directly on identity (:8081)
#   3. POST /api/v1/auth/login directly on identity (bcrypt-bound; 4 connections)
# The gateway's per-client rate limit is raised for the run: wrk is one client.
set -euo pipefail
cd "$(dirname "$0")/.."
duration=${1:-20s}
connections=${2:-32}
command -v wrk >/dev/null || { echo "wrk is required (apt-get install wrk)"; exit 1; }

swift build -c release --product plexus >/dev/null
bin=.build/release/plexus
data=$(mktemp -d /tmp/plexus-bench.XXXXXX)
chmod 755 "$data" # PostgreSQL runs unprivileged when this script runs as root
export PLEXUS_GATEWAY_RATE_LIMIT=10000000 PLEXUS_GATEWAY_RATE_LIMIT_BURST=10000000 PLEXUS_LOG_LEVEL=warning
"$bin" up --data-directory "$data" --postgres-port 54339 >"$data/up.log" 2>&1 &
up=$!
trap 'kill -INT $up 2>/dev/null; wait $up 2>/dev/null; rm -rf "$data"' EXIT
for _ in $(seq 1 150); do curl -sf http://127.0.0.1:8080/health/ready >/dev/null && break; sleep 0.2; done

# shellcheck disable=SC1091
source "$data/env"
"$bin" admin create-user --email bench@plexus.local --password 'bench password 2026' --role customer --name Bench >/dev/null
login='{"email":"bench@plexus.local","password":"bench password 2026"}'
token=$(curl -sf -X POST http://127.0.0.1:8081/api/v1/auth/login -H 'content-type: application/json' -d "$login" \
  | python3 -c 'import json,sys; print(json.load(sys.stdin)["accessToken"])')

echo "# $(date -u +%Y-%m-%dT%H:%MZ) on $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
echo "## GET /api/v1/users/me via gateway ($connections connections, $duration)"
wrk -t2 -c"$connections" -d"$duration" --latency -H "Authorization: Bearer $token" http://127.0.0.1:8080/api/v1/users/me
echo "## GET /api/v1/users/me direct to identity ($connections connections, $duration)"
wrk -t2 -c"$connections" -d"$duration" --latency -H "Authorization: Bearer $token" http://127.0.0.1:8081/api/v1/users/me
cat >"$data/login.lua" <<LUA
wrk.method = "POST"
wrk.body = '$login'
wrk.headers["Content-Type"] = "application/json"
LUA
echo "## POST /api/v1/auth/login direct to identity (4 connections, $duration, bcrypt cost 12)"
wrk -t2 -c4 -d"$duration" --latency -s "$data/login.lua" http://127.0.0.1:8081/api/v1/auth/login
