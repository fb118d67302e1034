#!/usr/bin/env bash
# Counts the public types of each exported package: the top-level ones and the nested ones a
# caller can name (public, in a public enclosing type). Reads compiled classes with javap, so the
# count is what the compiler made, not a guess from the sources.
#
#   api/count-types.sh              the classes built in <module>/target/classes (build first:
#                                   mvn -B -o compile -pl <modules> -am)
#   api/count-types.sh --baseline   the recorded API in api/<module>.jar
#   api/count-types.sh -v           also lists the types
#
# Exported packages are read from each module's module-info.java (unqualified exports only).
set -euo pipefail
cd "$(dirname "$0")/.."
modules=(media-core media-http media-storage-fs media-storage-s3 media-thumbnail media-store-jdbc media-testkit media-preview media-metrics)
baseline=false
verbose=false
for a in "$@"; do
  case "$a" in
    --baseline) baseline=true ;;
    -v) verbose=true ;;
    *) echo "usage: $0 [--baseline] [-v]" >&2; exit 2 ;;
  esac
done

total_top=0
total_nested=0
for m in "${modules[@]}"; do
  if $baseline; then
    cp="api/$m.jar"
    [ -f "$cp" ] || { echo "$cp is missing" >&2; exit 1; }
    classes=$(unzip -Z1 "$cp" | grep '\.class$' || true)
  else
    cp="$m/target/classes"
    [ -d "$cp" ] || { echo "$cp is missing: build first (mvn -B -o compile -pl $m -am)" >&2; exit 1; }
    classes=$(cd "$cp" && find . -name '*.class' | sed 's#^\./##')
  fi
  # exported packages, without qualified exports ("exports a.b to c.d;")
  packages=$(sed -n 's/^[[:space:]]*exports[[:space:]]\+\([A-Za-z0-9_.]*\)[[:space:]]*;.*/\1/p' "$m/src/main/java/module-info.java")
  for p in $packages; do
    dir=${p//.//}
    names=$(echo "$classes" | grep -E "^$dir/[^/]+\.class$" | grep -v -e 'module-info' -e 'package-info' \
      | sed 's#\.class$##; s#/#.#g' | LC_ALL=C sort || true)
    [ -n "$names" ] || continue
    # the first line javap prints per class is its declaration: "public final class a.b.C$D ..."
    public=$(javap -cp "$cp" $names 2>/dev/null \
      | sed -n -E 's/^(public [a-z ]*)?(class|interface|enum|@interface) ([A-Za-z0-9_.$]+).*/\1|\3/p' \
      | grep '^public' | cut -d'|' -f2 | LC_ALL=C sort -u)
    top=()
    nested=()
    for c in $public; do
      simple=${c##*.}
      case "$simple" in
        *'$'*)
          # nested: every enclosing type must be public too, and no anonymous or local class
          [[ "$simple" =~ \$[0-9] ]] && continue
          outer=${c%\$*}
          ok=true
          while :; do
            echo "$public" | grep -qxF "$outer" || { ok=false; break; }
            [[ "${outer##*.}" == *'$'* ]] || break
            outer=${outer%\$*}
          done
          $ok && nested+=("${simple//\$/.}")
          ;;
        *) top+=("$simple") ;;
      esac
    done
    printf '%-22s %-26s top-level %3d  nested %3d\n' "$m" "$p" "${#top[@]}" "${#nested[@]}"
    if $verbose; then
      [ ${#top[@]} -eq 0 ] || printf '    %s\n' "${top[@]}"
      [ ${#nested[@]} -eq 0 ] || printf '    + %s\n' "${nested[@]}"
    fi
    total_top=$((total_top + ${#top[@]}))
    total_nested=$((total_nested + ${#nested[@]}))
  done
done
echo "total: $total_top top-level public types, $total_nested nested public types, $((total_top + total_nested)) in all"
