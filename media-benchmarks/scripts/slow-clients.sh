#!/usr/bin/env bash
# 2000 clients each reading a large download at about 1 KB/s, while fresh GETs of a 10 KB file
# are timed (goal: under 100 ms), against the example server as `java -jar` starts it (Jetty)
# and, for contrast, the same jar with --http-server jdk (the JDK HttpServer on 64 threads).
# Records the server's RSS and thread count before and during. Sends traffic to 127.0.0.1 only.
# Usage: media-benchmarks/scripts/slow-clients.sh [CONNECTIONS [SERVERS]]   (SERVERS: "jetty jdk")
set -euo pipefail
cd "$(dirname "$0")/../.."
connections=${1:-2000}
servers=${2:-"jetty jdk"}
[ -f examples/target/mxmedia-example.jar ] || mvn -B -q package -DskipTests -Dskip.e2e -pl examples -am
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"
work=$(mktemp -d)
pid=
cleanup() {
  [ -n "$pid" ] && kill "$pid" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
head -c 10240 /dev/urandom > "$work/small.jpg"
head -c $((64 * 1024 * 1024)) /dev/urandom > "$work/large.bin"

port=18308
for server in $servers; do
  java -Xmx512m -Dorg.slf4j.simpleLogger.log.org.mxmedia.http.access=warn -jar examples/target/mxmedia-example.jar \
    --port $port --data-dir "$work/data-$server" --server-name localhost --token bench=@bench:localhost \
    --max-upload-size 104857600 --http-server "$server" > "$work/server-$server.log" 2>&1 &
  pid=$!
  for _ in $(seq 200); do (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break; sleep 0.1; done
  up() {
    curl -sf -H "Authorization: Bearer bench" -H "Content-Type: $2" --data-binary "@$1" \
      "http://127.0.0.1:$port/_matrix/media/v3/upload" | sed -E 's|.*mxc://([^"]+)".*|\1|'
  }
  large=/_matrix/client/v1/media/download/$(up "$work/large.bin" application/octet-stream)
  small=/_matrix/client/v1/media/download/$(up "$work/small.jpg" image/jpeg)
  echo "$server: $(python3 media-benchmarks/scripts/slow_clients.py $port bench "$large" "$small" $pid "$connections" 20)"
  kill $pid
  wait $pid 2>/dev/null || true
  pid=
  port=$((port + 1))
done
