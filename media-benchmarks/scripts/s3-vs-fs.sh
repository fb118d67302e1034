#!/usr/bin/env bash
# Upload and download throughput (MiB/s) of a 100 MiB blob through S3Storage to an in-process
# s3proxy (objects on the local file system, loopback HTTP) and through FileSystemStorage, in one run.
# Usage: media-benchmarks/scripts/s3-vs-fs.sh [MiB] [rounds] [work directory]
set -euo pipefail
cd "$(dirname "$0")/../.."
mvn -B -q package -DskipTests -Dskip.e2e -pl media-benchmarks -am
java -Xmx256m -cp media-benchmarks/target/benchmarks.jar org.mxmedia.benchmarks.S3StorageThroughput "$@"
