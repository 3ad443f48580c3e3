#!/usr/bin/env bash
# Load test of the media service, on this machine, against a release build, with nginx serving the
# same file from the same disk in the same run.
#
#   Benchmarks/media.sh [duration] [connections]      (defaults: 15s, 32)
#
# Starts `plexus up --demo` in a temporary data directory (quotas raised: wrk is one user), then:
#   1. uploads/s of a ~1 MB JPEG through the gateway (POST /api/v1/media, multipart), 4 connections;
#      every upload also queues its thumbnail job
#   2. thumbnail jobs/s: after the uploads stop, how fast the queue of processing uploads drains
#      (vips autorot when needed, three WebP sizes, stored, media.ready published)
#   3. GET /media/{key} of a medium thumbnail: directly on media (:8087), through the gateway, and
#      nginx serving the same file from the local store's directory
# with CPU time per request of the media process (and nginx's workers) from /proc/<pid>/stat.
set -euo pipefail
cd "$(dirname "$0")/.."
duration=${1:-15s}
connections=${2:-32}
command -v nginx >/dev/null || { echo "nginx is required (apt-get install nginx)"; exit 1; }
command -v vips >/dev/null || { echo "vips is required (apt-get install libvips-tools)"; exit 1; }
export PLEXUS_MEDIA_DAILY_FILES=100000000 PLEXUS_MEDIA_DAILY_BYTES=1000000000000000
# shellcheck source=Benchmarks/demo-system.sh
. Benchmarks/demo-system.sh
start
media_dir="$data/media"
nginx_conf="$data/nginx.conf"

# CPU ticks (utime + stime) of the processes whose command line matches $1
ticks() { local total=0; for pid in $(pgrep -f "$1"); do total=$((total + $(awk '{print $14 + $15}' "/proc/$pid/stat"))); done; echo "$total"; }
hz=$(getconf CLK_TCK)
# runs wrk ($@), then prints requests and CPU µs per request of the processes matching $pattern
measured() {
  local before after out requests
  before=$(ticks "$pattern")
  out=$(wrk "$@")
  after=$(ticks "$pattern")
  echo "$out"
  requests=$(echo "$out" | awk '/requests in/ {print $1}')
  echo "CPU per request ($pattern): $(( (after - before) * 1000000 / hz / (requests > 0 ? requests : 1) )) µs over $requests requests"
}

seller=$(curl -sf -X POST http://127.0.0.1:8080/api/v1/auth/login -H 'content-type: application/json' \
  -d '{"email":"seller@plexus.local","password":"plexus-seller-2026"}' | python3 -c 'import json,sys; print(json.load(sys.stdin)["accessToken"])')
# a photo-like JPEG of about 1 MB: noise does not compress
for band in 1 2 3; do
  vips gaussnoise "$data/noise$band.v" 1150 800 --mean 128 --sigma 30 --seed "$band"
  vips cast "$data/noise$band.v" "$data/band$band.v" uchar
done
vips bandjoin "$data/band1.v $data/band2.v $data/band3.v" "$data/noise.v"
vips copy "$data/noise.v" "$data/photo.jpg[Q=90]"
python3 - "$data" <<'PY'
import sys
d = sys.argv[1]
photo = open(f"{d}/photo.jpg", "rb").read()
boundary = "plexusbench"
body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"photo.jpg\"\r\nContent-Type: image/jpeg\r\n\r\n").encode() \
       + photo + f"\r\n--{boundary}--\r\n".encode()
open(f"{d}/upload.body", "wb").write(body)
PY
cat > "$data/upload.lua" <<LUA
local f = io.open("$data/upload.body", "rb")
wrk.method = "POST"
wrk.body = f:read("*a")
f:close()
wrk.headers["Content-Type"] = "multipart/form-data; boundary=plexusbench"
wrk.headers["Authorization"] = "Bearer $seller"
LUA

echo "# $(date -u +%Y-%m-%dT%H:%MZ) on $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
echo "## uploads of a $(stat -c %s "$data/photo.jpg")-byte JPEG through the gateway (4 connections, $duration)"
pattern="serve media"
measured -t2 -c4 -d"$duration" --latency -s "$data/upload.lua" http://127.0.0.1:8080/api/v1/media

# shellcheck disable=SC1091
media_url=$(. "$data/env"; echo "${PLEXUS_DATABASE_URL%/*}/plexus_media")
pending() { psql -Atq "$media_url" -c "SELECT count(*) FROM media WHERE status = 'processing'"; }
queued=$(pending); started=$(date +%s.%N); media_before=$(ticks "serve media")
while [ "$(pending)" -gt 0 ]; do sleep 0.5; done
finished=$(date +%s.%N); media_after=$(ticks "serve media")
echo "## thumbnail jobs: $queued queued uploads processed in $(python3 -c "print(round($finished - $started, 1))") s:" \
  "$(python3 -c "print(round($queued / ($finished - $started), 1))") jobs/s (media process CPU $(( (media_after - media_before) * 1000 / hz / (queued > 0 ? queued : 1) )) ms per job, vips not counted)"

key=$(psql -Atq "$media_url" -c "SELECT medium_key FROM media WHERE status = 'ready' ORDER BY created_at DESC LIMIT 1")
echo "## GET /media/$key ($(stat -c %s "$media_dir/$key") bytes)"
cat > "$nginx_conf" <<NGINX
worker_processes auto;
daemon off;
pid $data/nginx.pid;
error_log $data/nginx-error.log;
events { worker_connections 1024; }
http {
  access_log off;
  types { image/webp webp; image/jpeg jpg; }
  server {
    listen 127.0.0.1:18090;
    location /media/ { alias $media_dir/; add_header Cache-Control "public, max-age=31536000, immutable"; }
  }
}
NGINX
nginx -c "$nginx_conf" &
nginx_pid=$!
sleep 1
echo "### directly on media (:8087), $connections connections, $duration"
pattern="serve media"
measured -t2 -c"$connections" -d"$duration" --latency "http://127.0.0.1:8087/media/$key"
echo "### through the gateway (:8080)"
pattern="serve (media|gateway)"
measured -t2 -c"$connections" -d"$duration" --latency "http://127.0.0.1:8080/media/$key"
echo "### nginx (a worker per core) serving the same file from the store's directory"
pattern="nginx: (worker|master)"
measured -t2 -c"$connections" -d"$duration" --latency "http://127.0.0.1:18090/media/$key"
kill "$nginx_pid" 2>/dev/null || true
