#!/usr/bin/env bash
# Records the current public API as the new baseline: builds the library modules and keeps, of
# each jar, the classes of the exported packages (the internal ones are not API). Run it when an
# API change is intended, and commit api/*.jar with the change.
set -euo pipefail
cd "$(dirname "$0")/.."
modules=(media-core media-http media-storage-fs media-storage-s3 media-thumbnail media-store-jdbc media-testkit media-preview media-metrics)
mvn -B -q package -DskipTests -Dskip.e2e -Dapi.check.skip=true -pl "$(IFS=,; echo "${modules[*]}")" -am
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
for m in "${modules[@]}"; do
  rm -rf "$work/$m" && mkdir -p "$work/$m"
  jar=$(ls "$m/target/$m-"*.jar | grep -v -e sources -e javadoc -e tests | head -1)
  (cd "$work/$m" && unzip -q "$OLDPWD/$jar")
  find "$work/$m" \( -path '*/internal/*' -o -path '*/META-INF/maven/*' \) -delete
  rm -f "api/$m.jar"
  (cd "$work/$m" && find . -type f | LC_ALL=C sort | TZ=UTC zip -q -X -D "$OLDPWD/api/$m.jar" -@)
  echo "api/$m.jar: $(unzip -Z1 "api/$m.jar" | grep -c '\.class$') classes"
done
