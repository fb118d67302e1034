#!/usr/bin/env bash
# URL previews: the preview parser on a 1 MiB page against Jsoup.parse of the same bytes (JMH,
# -prof gc; the preview parser is jsoup plus its own work, so jsoup alone is the floor), then
# PREVIEWS previews of MIB MiB pages at once in a 256 MiB heap, with the preview engine and with
# fetch-then-Jsoup.parse for contrast. Traffic to 127.0.0.1 only.
# Usage: media-benchmarks/scripts/previews.sh [PREVIEWS [MIB]]   Env: MVN_ARGS (e.g. -o)
set -euo pipefail
cd "$(dirname "$0")/../.."
previews=${1:-50}
mib=${2:-10}
mvn -B -q ${MVN_ARGS:-} package -DskipTests -pl media-benchmarks -am
jar=media-benchmarks/target/benchmarks.jar
echo "== PreviewParseBenchmark (1 fork, 3x2 s warm-up, 5x2 s)"
java -jar "$jar" PreviewParseBenchmark -prof gc | grep -E "^(Benchmark |PreviewParseBenchmark\.)"
echo "== $previews previews of $mib MiB pages at once, -Xmx256m: preview engine"
timeout 300 java -Xmx256m -cp "$jar" org.mxmedia.benchmarks.ConcurrentPreviews "$previews" "$mib" preview || echo "(exit $?)"
echo "== the same with fetch, then Jsoup.parse"
# it runs out of heap at the defaults and may then hang: bounded in time
timeout 300 java -Xmx256m -cp "$jar" org.mxmedia.benchmarks.ConcurrentPreviews "$previews" "$mib" jsoup \
  || echo "(exit $?: out of memory, or stopped after 300 s)"
