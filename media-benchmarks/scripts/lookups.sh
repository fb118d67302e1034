#!/usr/bin/env bash
# JdbcMediaStore's hot look-ups with 10 thousand and 1 million rows, on SQLite and on PostgreSQL
# (embedded, loopback), in one JMH run; prints p50 and p99 (microseconds) per look-up.
# Usage: media-benchmarks/scripts/lookups.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
mvn -B -q package -DskipTests -pl media-benchmarks -am
out=$(mktemp)
java -jar media-benchmarks/target/benchmarks.jar LookupBenchmark -rf json -rff "$out" | tail -n 60
python3 - "$out" <<'PY'
import json, sys
rows = json.load(open(sys.argv[1]))
print("\n%-26s %-9s %9s %10s %10s" % ("look-up", "database", "rows", "p50 us", "p99 us"))
for r in rows:
    p = r["primaryMetric"]["scorePercentiles"]
    name = r["benchmark"].rsplit(".", 1)[1]
    print("%-26s %-9s %9s %10.1f %10.1f" % (name, r["params"]["database"], r["params"]["rows"], p["50.0"], p["99.0"]))
PY
rm -f "$out"
