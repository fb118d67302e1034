#!/usr/bin/env bash
# A 100 MB upload through the example server (java -jar examples/target/mxmedia-example.jar,
# Jetty, SQLite metadata) against the physical floor measured on the same disk in the same run:
# sha256sum of the file plus a copy of it (cp, then sync of the copy: one read, one hash, one
# durable write, as an upload does). Each is run RUNS times; medians and the ratio of
# throughputs (floor time / upload time; the goal is at least 0.7) are printed.
# Usage: media-benchmarks/scripts/upload-vs-floor.sh [RUNS [MEGABYTES]]   (traffic on 127.0.0.1 only)
set -euo pipefail
cd "$(dirname "$0")/../.."
runs=${1:-5}
mb=${2:-100}
[ -f examples/target/mxmedia-example.jar ] || mvn -B -q package -DskipTests -Dskip.e2e -pl examples -am
work=$(mktemp -d -p "${TMPDIR:-/tmp}")
pid=
cleanup() {
  [ -n "$pid" ] && kill "$pid" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
head -c $((mb * 1024 * 1024)) /dev/urandom > "$work/upload.bin"

java -Xmx512m -Dorg.slf4j.simpleLogger.log.org.mxmedia.http.access=warn -jar examples/target/mxmedia-example.jar \
  --port 18208 --data-dir "$work/data" --server-name localhost --token bench=@bench:localhost \
  --max-upload-size $(((mb + 1) * 1024 * 1024)) > "$work/server.log" 2>&1 &
pid=$!
for _ in $(seq 200); do (exec 3<>/dev/tcp/127.0.0.1/18208) 2>/dev/null && break; sleep 0.1; done

now() { date +%s.%N; }
median() { sort -n | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }
# one warm-up upload (JIT), not counted; each run uploads different bytes (a new first byte), so
# no upload is deduplicated against an earlier one
curl -sf -o /dev/null -H "Authorization: Bearer bench" -H "Content-Type: application/octet-stream" \
  --data-binary "@$work/upload.bin" "http://127.0.0.1:18208/_matrix/media/v3/upload"
floors=() uploads=()
for i in $(seq "$runs"); do
  printf '%02x' "$i" | xxd -r -p | dd of="$work/upload.bin" bs=1 count=1 conv=notrunc status=none
  sync
  t0=$(now)
  sha256sum "$work/upload.bin" > /dev/null
  cp "$work/upload.bin" "$work/copy.bin"
  sync "$work/copy.bin"
  t1=$(now)
  rm -f "$work/copy.bin"
  sync
  t2=$(now)
  curl -sf -o /dev/null -H "Authorization: Bearer bench" -H "Content-Type: application/octet-stream" \
    --data-binary "@$work/upload.bin" "http://127.0.0.1:18208/_matrix/media/v3/upload"
  t3=$(now)
  floors+=("$(echo "$t1 - $t0" | bc -l)")
  uploads+=("$(echo "$t3 - $t2" | bc -l)")
  printf 'run %d: floor %.3f s, upload %.3f s\n' "$i" "${floors[-1]}" "${uploads[-1]}"
done
f=$(printf '%s\n' "${floors[@]}" | median)
u=$(printf '%s\n' "${uploads[@]}" | median)
echo
printf '%-44s %10s %10s\n' "" "median s" "MB/s"
printf '%-44s %10.3f %10.0f\n' "floor: sha256sum + cp + sync ($mb MiB)" "$f" "$(echo "$mb / $f" | bc -l)"
printf '%-44s %10.3f %10.0f\n' "upload through the example server" "$u" "$(echo "$mb / $u" | bc -l)"
printf '%-44s %10.2f\n' "upload / floor (throughput)" "$(echo "$f / $u" | bc -l)"
