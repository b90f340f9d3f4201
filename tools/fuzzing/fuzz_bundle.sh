#!/usr/bin/env bash
# Packs every fuzz target built with --config=fuzz, its seed corpus and the shared libraries it
# needs into .bundle/trawl_fuzz.tar.xz, for a long run on a machine with more cores (the lent GPU
# machine has 16): there, tools/fuzzing/run_fuzz_bundle.sh runs all targets in parallel.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
STAGE=.bundle/trawl_fuzz
rm -rf "$STAGE"; mkdir -p "$STAGE/bin" "$STAGE/lib" "$STAGE/corpus"
mapfile -t targets < <(bazel query 'attr(tags, "\bfuzz\b", tests(//...))' 2>/dev/null)
bazel build --config=fuzz "${targets[@]}"
SKIP='^(linux-vdso|ld-linux|libc\.|libm\.|libdl\.|libpthread\.|librt\.|libstdc\+\+|libgcc_s)'
for target in "${targets[@]}"; do
  path=${target#//}; package=${path%%:*}; name=${path#*:}
  cp -L "bazel-bin/$package/$name" "$STAGE/bin/$name"
  mkdir -p "$STAGE/corpus/$name"; cp "$package/fuzz_corpus/$name/"* "$STAGE/corpus/$name/"
  ldd "bazel-bin/$package/$name" | awk '/=> \// {print $1, $3}' | while read -r lib lib_path; do
    [[ "$lib" =~ $SKIP ]] && continue
    [ -e "$STAGE/lib/$lib" ] || cp -L "$lib_path" "$STAGE/lib/$lib"
  done
done
cp tools/fuzzing/run_fuzz_bundle.sh "$STAGE/"
tar -C .bundle -cf - trawl_fuzz | xz -T0 -6 > .bundle/trawl_fuzz.tar.xz
rm -rf "$STAGE"
echo "[fuzz bundle] .bundle/trawl_fuzz.tar.xz: $(($(stat -c %s .bundle/trawl_fuzz.tar.xz) / 1048576)) MiB, ${#targets[@]} targets"
