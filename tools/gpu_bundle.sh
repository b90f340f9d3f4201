#!/usr/bin/env bash
# Builds the gpu-tagged tests, the trawl binary and the GPU benchmarks with --config=gpu and packs
# them, with every shared library they need that a bare CUDA machine lacks (FAISS, OpenBLAS, absl,
# glog, protobuf, ...), into one compressed archive for the lent GPU machine.
#
#   ./tools/gpu_bundle.sh            -> .bundle/trawl_gpu.tar.xz (must stay under 64 MiB)
#
# On the GPU machine, tools/run_gpu_bundle.sh unpacks it and runs everything into $OUT.
# The CUDA runtime and cuBLAS are not packed: the GPU machine has CUDA 13's in /usr/local/cuda.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
OUT_DIR=.bundle
STAGE="$OUT_DIR/trawl_gpu"
rm -rf "$STAGE"; mkdir -p "$STAGE/bin" "$STAGE/lib" "$STAGE/trawl"

say() { printf '[bundle] %s\n' "$*"; }

GPU_TESTS=$(bazel query 'attr(tags, "\bgpu\b", tests(//...))' 2>/dev/null)
BINARIES="//tools:trawl $(bazel query 'attr(tags, "\bgpu_benchmark\b", //...)' 2>/dev/null | tr '\n' ' ')"
say "building: $(echo $GPU_TESTS $BINARIES | wc -w) targets"
# Project code statically in each binary; system libraries stay shared and are packed once.
bazel build --config=gpu --dynamic_mode=off $GPU_TESTS $BINARIES

for target in $GPU_TESTS $BINARIES; do
  path=$(echo "$target" | sed 's|^//||; s|:|/|')
  cp -L "bazel-bin/$path" "$STAGE/bin/$(basename "$path")"
done
# The FAISS anchor probe (../shared/anchors), when present, to measure beside Trawl in one call.
ANCHOR="$ROOT/../shared/anchors/faiss_probe.cpp"
if [ -f "$ANCHOR" ]; then
  g++ -O2 -std=c++17 -fopenmp -I.deps/faiss/include -I/usr/local/cuda/include "$ANCHOR" \
    -L.deps/faiss/lib -lfaiss -L/usr/local/cuda/lib64 -lcudart -o "$STAGE/bin/anchor_faiss_probe"
fi
# Runfiles the tests read (TEST_SRCDIR/trawl/...).
mkdir -p "$STAGE/trawl/configs/sweeps" "$STAGE/trawl/tests/testdata"
cp configs/*.pbtxt "$STAGE/trawl/configs/"
cp configs/sweeps/*.pbtxt "$STAGE/trawl/configs/sweeps/"
mkdir -p "$STAGE/trawl/tools/concurrency"
cp tools/concurrency/*.pbtxt "$STAGE/trawl/tools/concurrency/"
cp -r tests/testdata/dense "$STAGE/trawl/tests/testdata/"
# The PyTorch peer (../shared/anchors), run beside Trawl when the GPU machine has torch.
[ -f "$ROOT/../shared/anchors/torch_peer.py" ] && cp "$ROOT/../shared/anchors/torch_peer.py" "$STAGE/"
cp tools/run_gpu_bundle.sh tools/exact_torch_peer.py tools/gpu_concurrency.sh "$STAGE/"

# Shared libraries: everything ldd resolves except glibc, the C++ runtime and CUDA's own.
SKIP='^(linux-vdso|ld-linux|libc\.|libm\.|libdl\.|libpthread\.|librt\.|libstdc\+\+|libgcc_s|libcuda\.|libcudart|libcublas|libcublasLt)'
# ldd the binaries where Bazel built them: their RUNPATH finds libfaiss.so relative to there.
for target in $GPU_TESTS $BINARIES; do
  ldd "bazel-bin/$(echo "$target" | sed 's|^//||; s|:|/|')" | awk '/=> \// {print $1, $3}' | while read -r name lib_path; do
    [[ "$name" =~ $SKIP ]] && continue
    [ -e "$STAGE/lib/$name" ] || cp -L "$lib_path" "$STAGE/lib/$name"
  done
done
strip --strip-unneeded "$STAGE"/lib/*.so* "$STAGE"/bin/* 2>/dev/null || true
say "libraries: $(ls "$STAGE/lib" | wc -l), $(du -sh "$STAGE/lib" | cut -f1); binaries: $(du -sh "$STAGE/bin" | cut -f1)"

tar -C "$OUT_DIR" -cf - trawl_gpu | xz -T0 -6 > "$OUT_DIR/trawl_gpu.tar.xz"
size=$(stat -c %s "$OUT_DIR/trawl_gpu.tar.xz")
rm -rf "$STAGE"
say "$OUT_DIR/trawl_gpu.tar.xz: $((size / 1048576)) MiB"
if ((size > 60 * 1048576)); then
  say "ERROR: over 60 MiB; the device tool carries 64 MiB in all"; exit 1
fi
