#!/usr/bin/env bash
# Thumbnails of one 12 MP image, side by side in one run: mxmedia's ImageIoThumbnailer (JMH, with
# -prof gc), Synapse's engine (Pillow, full decode, LANCZOS) and libvips (vipsthumbnail,
# shrink-on-load), on the same files; then three 30 MP JPEGs at once in a 128 MiB heap.
# Needs: python3-pil, libvips-tools (apt-get install python3-pil libvips-tools).
# Usage: media-benchmarks/scripts/thumbnails-vs-references.sh [ITERATIONS]
# Env: BASELINE_JAR=path/to/benchmarks.jar (built from another commit) adds its JMH figures to the
# same run, for before/after ratios; JMH_OPTS (e.g. "-wi 2 -w 3 -i 5 -r 3") overrides the JMH
# iterations; MVN_ARGS (e.g. -o) is passed to the build.
set -euo pipefail
cd "$(dirname "$0")/../.."
iterations=${1:-10}
# Debian's Pillow belongs to the system Python
py=${PYTHON:-/usr/bin/python3}
command -v vipsthumbnail >/dev/null || { echo "needs libvips-tools" >&2; exit 1; }
"$py" -c 'import PIL' 2>/dev/null || { echo "needs python3-pil" >&2; exit 1; }

mvn -B -q ${MVN_ARGS:-} package -DskipTests -pl media-benchmarks -am
jar=media-benchmarks/target/benchmarks.jar
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
java -Djava.awt.headless=true -cp "$jar" org.mxmedia.benchmarks.BenchmarkImages "$work" 4000 3000 photo
ls -l "$work"

echo "== mxmedia (JMH, 1 fork, 3x5s warm-up, 5x5s measurement, -prof gc)"
# shellcheck disable=SC2086
java -Dmxmedia.bench.dir="$work" -jar "$jar" ThumbnailBenchmark ${JMH_OPTS:-} -prof gc -rf json -rff "$work/jmh.json" | tail -n 20
if [ -n "${BASELINE_JAR:-}" ]; then
  echo "== baseline $BASELINE_JAR (same JMH settings)"
  # shellcheck disable=SC2086
  java -Dmxmedia.bench.dir="$work" -jar "$BASELINE_JAR" ThumbnailBenchmark ${JMH_OPTS:-} -prof gc -rf json -rff "$work/jmh-baseline.json" | tail -n 20
fi

jmh_ms() {
  python3 - "${2:-$work/jmh.json}" "$1" <<'PY'
import json, sys
for r in json.load(open(sys.argv[1])):
    if r["params"]["format"] == sys.argv[2]:
        print("%.1f" % r["primaryMetric"]["score"])
PY
}
jmh_alloc() {
  python3 - "$work/jmh.json" "$1" <<'PY'
import json, sys
for r in json.load(open(sys.argv[1])):
    if r["params"]["format"] == sys.argv[2]:
        print("%.0f" % (r["secondaryMetrics"]["gc.alloc.rate.norm"]["score"] / 1048576))
PY
}

vips_ms() {  # the five sizes (shrink-on-load), mean per image over N copies of it
  # one vipsthumbnail process per size handles all N copies, so the start-up (about 120 ms a
  # process here) is paid five times per run, not 5 x N times; the copies have their own names
  # so libvips' operation cache cannot answer a load from an earlier one
  local src=$1 ext=$2 start end copies=()
  mkdir -p "$work/vips-in" "$work/vips-out"
  for n in $(seq "$iterations"); do
    cp "$src" "$work/vips-in/$n.${src##*.}"
    copies+=("$work/vips-in/$n.${src##*.}")
  done
  start=$(date +%s%N)
  vipsthumbnail "${copies[@]}" --size 32x32 --smartcrop centre -o "$work/vips-out/1-%s.$ext[Q=80]"
  vipsthumbnail "${copies[@]}" --size 96x96 --smartcrop centre -o "$work/vips-out/2-%s.$ext[Q=80]"
  vipsthumbnail "${copies[@]}" --size 320x240 -o "$work/vips-out/3-%s.$ext[Q=80]"
  vipsthumbnail "${copies[@]}" --size 640x480 -o "$work/vips-out/4-%s.$ext[Q=80]"
  vipsthumbnail "${copies[@]}" --size 800x600 -o "$work/vips-out/5-%s.$ext[Q=80]"
  end=$(date +%s%N)
  rm -rf "$work/vips-in" "$work/vips-out"
  echo "scale=1; ($end - $start) / 1000000 / $iterations" | bc
}

# the start-up of the five processes, measured the same way on an 8x8 image and subtracted
"$py" -c "from PIL import Image; Image.new('RGB', (8, 8)).save('$work/tiny.jpg')"
startup=$(vips_ms "$work/tiny.jpg" jpg)
echo "vipsthumbnail start-up for five runs, per image: $startup ms (subtracted below)"

printf '\n%-6s %12s %14s %12s %12s %16s %16s\n' format mxmedia_ms mxmedia_MiB/op pillow_ms vips_ms mxmedia/pillow mxmedia/vips
for fmt in jpg png; do
  ours=$(jmh_ms $fmt)
  alloc=$(jmh_alloc $fmt)
  pillow=$("$py" media-benchmarks/scripts/pillow_thumbnails.py "$work/photo.$fmt" "$iterations")
  vips=$(echo "scale=1; $(vips_ms "$work/photo.$fmt" jpg) - $startup" | bc)
  printf '%-6s %12s %14s %12s %12s %16s %16s\n' "$fmt" "$ours" "$alloc" "$pillow" "$vips" \
    "$(echo "scale=2; $ours / $pillow" | bc)" "$(echo "scale=2; $ours / $vips" | bc)"
  if [ -n "${BASELINE_JAR:-}" ]; then
    base=$(jmh_ms $fmt "$work/jmh-baseline.json")
    printf '%-6s %12s %14s %12s %12s %16s %16s\n' "$fmt-before" "$base" "" "$pillow" "$vips" \
      "$(echo "scale=2; $base / $pillow" | bc)" "$(echo "scale=2; $base / $vips" | bc)"
  fi
done

echo
echo "== three 30 MP JPEGs (6708x4472) thumbnailed at once with -Xmx128m"
java -Djava.awt.headless=true -cp "$jar" org.mxmedia.benchmarks.BenchmarkImages "$work" 6708 4472 large1 large2 large3
java -Xmx128m -XX:+ExitOnOutOfMemoryError -Djava.awt.headless=true -cp "$jar" org.mxmedia.benchmarks.ConcurrentLargeImages "$work"
