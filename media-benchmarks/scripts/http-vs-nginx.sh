#!/usr/bin/env bash
# Download throughput of the example server as `java -jar` starts it (Jetty, native handler,
# authenticated, every media header), the same jar on the JDK HttpServer (--http-server jdk) and
# mxmedia on Jetty through the servlet adapter, against nginx serving the same bytes statically
# from disk, all on loopback, measured with wrk in one run: requests/s for a 10 KB thumbnail,
# MB/s for a 100 MB file. After 5 s of warm-up per server and file, every measurement is repeated
# RUNS times (servers interleaved) and the medians are compared. Needs: wrk, nginx (apt-get install wrk nginx-light). Sends traffic to
# 127.0.0.1 only.
# Usage: media-benchmarks/scripts/http-vs-nginx.sh [SECONDS [RUNS]]
set -euo pipefail
cd "$(dirname "$0")/../.."
seconds=${1:-15}
runs=${2:-3}
command -v wrk >/dev/null || { echo "needs wrk" >&2; exit 1; }
command -v nginx >/dev/null || command -v /usr/sbin/nginx >/dev/null || { echo "needs nginx" >&2; exit 1; }
nginx_bin=$(command -v nginx || echo /usr/sbin/nginx)

mvn -B -q package -DskipTests -Dskip.e2e -pl examples -am
work=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  [ -f "$work/nginx.pid" ] && kill "$(cat "$work/nginx.pid")" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

mkdir -p "$work/static"
chmod 755 "$work"  # nginx workers run as www-data
head -c 10240 /dev/urandom > "$work/static/small.jpg"
head -c $((100 * 1024 * 1024)) /dev/urandom > "$work/static/large.bin"
chmod 644 "$work/static/"*

wait_port() {
  for _ in $(seq 100); do
    if (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; then return 0; fi
    sleep 0.1
  done
  echo "port $1 did not open" >&2
  return 1
}

# the example server (Jetty, its default) and the same jar on the JDK server, access log off
# (it is one line per request otherwise)
java -Xmx512m -Dorg.slf4j.simpleLogger.log.org.mxmedia.http.access=warn -jar examples/target/mxmedia-example.jar \
  --port 18007 --data-dir "$work/data-native" --server-name localhost --token bench=@bench:localhost \
  --max-upload-size 209715200 > "$work/server-native.log" 2>&1 &
pids+=($!)
java -Xmx512m -Dorg.slf4j.simpleLogger.log.org.mxmedia.http.access=warn -jar examples/target/mxmedia-example.jar \
  --port 18008 --data-dir "$work/data" --server-name localhost --token bench=@bench:localhost \
  --max-upload-size 209715200 --http-server jdk > "$work/server.log" 2>&1 &
pids+=($!)
# the same repository code behind the servlet adapter on Jetty
java -Xmx512m -Dorg.slf4j.simpleLogger.defaultLogLevel=warn -cp examples/target/mxmedia-example.jar org.mxmedia.examples.JettyServletExample 18009 "$work/jetty" bench 209715200 \
  > "$work/jetty.log" 2>&1 &
pids+=($!)
wait_port 18007
wait_port 18008
wait_port 18009

upload() {  # port file type -> media id
  curl -sf -H "Authorization: Bearer bench" -H "Content-Type: $3" --data-binary "@$2" \
    "http://127.0.0.1:$1/_matrix/media/v3/upload" | sed -E 's|.*mxc://[^/]+/([A-Za-z]+).*|\1|'
}
small_native=$(upload 18007 "$work/static/small.jpg" image/jpeg)
large_native=$(upload 18007 "$work/static/large.bin" application/octet-stream)
small_jdk=$(upload 18008 "$work/static/small.jpg" image/jpeg)
large_jdk=$(upload 18008 "$work/static/large.bin" application/octet-stream)
small_jetty=$(upload 18009 "$work/static/small.jpg" image/jpeg)
large_jetty=$(upload 18009 "$work/static/large.bin" application/octet-stream)

cat > "$work/nginx.conf" <<NGINX
worker_processes 2;
pid $work/nginx.pid;
error_log $work/nginx-error.log;
events { worker_connections 1024; }
http {
  access_log off;
  sendfile on;
  tcp_nopush on;
  keepalive_requests 1000000;
  client_body_temp_path $work/nginx-tmp;
  server {
    listen 127.0.0.1:18080;
    root $work/static;
  }
}
NGINX
mkdir -p "$work/nginx-tmp"
"$nginx_bin" -c "$work/nginx.conf"
wait_port 18080

run_wrk() {  # connections url [auth] -> "requests/s bytes/s"
  local out
  if [ -n "${3:-}" ]; then
    out=$(wrk -t2 -c"$1" -d"${seconds}s" -H "Authorization: Bearer $3" "$2")
  else
    out=$(wrk -t2 -c"$1" -d"${seconds}s" "$2")
  fi
  echo "$out" >&2
  if echo "$out" | grep -q "Non-2xx"; then
    echo "error responses from $2" >&2
    exit 1
  fi
  local rps transfer
  rps=$(echo "$out" | awk '/Requests\/sec/ {print $2}')
  transfer=$(echo "$out" | awk '/Transfer\/sec/ {print $2}')
  echo "$rps $transfer"
}

to_mb() {  # wrk's "1.23GB" -> MB
  echo "$1" | awk '{ v=$1; u=substr(v, length(v)-1); n=substr(v, 1, length(v)-2);
    if (u=="GB") n*=1024; else if (u=="KB") n/=1024; else if (u!="MB") n=substr(v,1,length(v)-1)/1048576; printf "%.0f", n }'
}

median() { sort -n | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }
ratio() { echo "scale=2; $1 / $2" | bc; }

base_native="http://127.0.0.1:18007/_matrix/client/v1/media/download/localhost"
base_jdk="http://127.0.0.1:18008/_matrix/client/v1/media/download/localhost"
base_jetty="http://127.0.0.1:18009/_matrix/client/v1/media/download/localhost:18009"
# warm-up, not recorded: the JVMs compile their hot paths (a server that has run a while is warm)
for url in "$base_native/$small_native" "$base_jdk/$small_jdk" "$base_jetty/$small_jetty" \
    "$base_native/$large_native" "$base_jdk/$large_jdk" "$base_jetty/$large_jetty"; do
  wrk -t2 -c16 -d5s -H "Authorization: Bearer bench" "$url" > /dev/null
done
declare -A small large
for run in $(seq "$runs"); do
  echo "run $run of $runs" >&2
  read -r r _ < <(run_wrk 64 "http://127.0.0.1:18080/small.jpg"); small[nginx]+="$r "
  read -r r _ < <(run_wrk 64 "$base_native/$small_native" bench); small[native]+="$r "
  read -r r _ < <(run_wrk 64 "$base_jdk/$small_jdk" bench); small[jdk]+="$r "
  read -r r _ < <(run_wrk 64 "$base_jetty/$small_jetty" bench); small[servlet]+="$r "
  read -r _ t < <(run_wrk 4 "http://127.0.0.1:18080/large.bin"); large[nginx]+="$(to_mb "$t") "
  read -r _ t < <(run_wrk 4 "$base_native/$large_native" bench); large[native]+="$(to_mb "$t") "
  read -r _ t < <(run_wrk 4 "$base_jdk/$large_jdk" bench); large[jdk]+="$(to_mb "$t") "
  read -r _ t < <(run_wrk 4 "$base_jetty/$large_jetty" bench); large[servlet]+="$(to_mb "$t") "
done
med() { echo $1 | tr ' ' '\n' | grep . | median; }
echo
echo "every run (10 KB req/s; 100 MB MB/s):"
for k in nginx native jdk servlet; do echo "  $k: ${small[$k]}; ${large[$k]}"; done
ns=$(med "${small[nginx]}"); nl=$(med "${large[nginx]}")
echo
printf '%-40s %14s %14s %10s %10s\n' "median of $runs runs" "10 KB req/s" "100 MB MB/s" "10 KB / ng" "100 MB / ng"
printf '%-40s %14s %14s\n' "nginx (sendfile)" "$ns" "$nl"
for k in native jdk servlet; do
  case $k in
    native) name="example server (Jetty, java -jar)";;
    jdk) name="example server --http-server jdk";;
    servlet) name="Jetty servlet (MediaServlet)";;
  esac
  s=$(med "${small[$k]}"); l=$(med "${large[$k]}")
  printf '%-40s %14s %14s %10s %10s\n' "$name" "$s" "$l" "$(ratio "$s" "$ns")" "$(ratio "$l" "$nl")"
done
