#!/usr/bin/env bash
# Runs on the lent GPU machine: unpacks the bundle made by tools/gpu_bundle.sh and runs every GPU
# test, the quickstart and the GPU benchmarks, writing logs and reports under $OUT; with
# TRAWL_CONCURRENCY=1 also tools/gpu_concurrency.sh, with TRAWL_SWEEPS=1 the nprobe sweeps.
#
#   bash tools/run_gpu_bundle.sh .bundle/trawl_gpu.tar.xz
set -uo pipefail
ARCHIVE=${1:-.bundle/trawl_gpu.tar.xz}
OUT=${OUT:-/tmp/trawl_out}
WORK=/tmp/trawl_bundle
mkdir -p "$OUT" "$WORK"
tar -C "$WORK" -xJf "$ARCHIVE"
B="$WORK/trawl_gpu"
export LD_LIBRARY_PATH="$B/lib:/usr/local/cuda/lib64:${LD_LIBRARY_PATH:-}"
export TEST_SRCDIR="$B" OMP_NUM_THREADS=${OMP_NUM_THREADS:-8}
LOG="$OUT/gpu_tests.log"
{
  echo "== machine"; nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader
  failures=0
  for t in "$B"/bin/*_gpu_test; do
    echo "== $(basename "$t")"
    if ! "$t" --gtest_color=no; then failures=$((failures + 1)); fi
  done
  echo "== gpu tests: $failures failed"
  echo "== trawl run configs/quickstart.pbtxt"
  (cd "$OUT" && BUILD_WORKING_DIRECTORY="$OUT" "$B/bin/trawl" run "$B/trawl/configs/quickstart.pbtxt" \
     --report=quickstart_report.json 2>&1 | grep -v '^I2')
  rm -f "$OUT/quickstart.run"
  # Sparse search on the card and on the CPU (16 cores), same generated collection.
  for device in gpu cpu; do
    echo "== trawl run configs/splade_maxscore.pbtxt --device=$device"
    (cd "$OUT" && BUILD_WORKING_DIRECTORY="$OUT" "$B/bin/trawl" run "$B/trawl/configs/splade_maxscore.pbtxt" \
       --device=$device --report=splade_$device.json 2>&1 | grep -v '^I2')
  done
  rm -f "$OUT/splade_maxscore.run"
} 2>&1 | tee "$LOG"
# TRAWL_BENCHMARKS="exact_gpu_benchmark ..." runs only those (default: every benchmark; "none":
# none).
for bench in "$B"/bin/*_benchmark; do
  [ -e "$bench" ] || continue
  name=$(basename "$bench")
  if [ -n "${TRAWL_BENCHMARKS:-}" ] && [[ " $TRAWL_BENCHMARKS " != *" $name "* ]]; then continue; fi
  echo "== $name" | tee -a "$LOG"
  args=()
  if [ "$name" = exact_gpu_benchmark ]; then
    # PyTorch on the same points first (same card, same call), read back into the table.
    # TRAWL_EXACT_ARGS overrides the points ("--points=1000000x128 --ks=10").
    read -r -a args <<< "${TRAWL_EXACT_ARGS:-}"
    points=1000000x128,1000000x768,10000000x128 ks=10,100
    for a in "${args[@]}"; do
      case "$a" in --points=*) points=${a#--points=} ;; --ks=*) ks=${a#--ks=} ;; esac
    done
    if [ -f "$B/exact_torch_peer.py" ] && python3 -c "import torch" 2>/dev/null; then
      python3 "$B/exact_torch_peer.py" "$points" "$ks" 10000 > "$OUT/exact_torch_peer.txt" 2>&1
      args+=("--torch=$OUT/exact_torch_peer.txt")
    fi
  fi
  OMP_NUM_THREADS=8 "$bench" --out="$OUT/$name.txt" "${args[@]}" 2>&1 | tee -a "$LOG"
done
# Several pipelines sharing the card through the memory ledger, against serial and no ledger.
if [ "${TRAWL_CONCURRENCY:-0}" = 1 ]; then
  echo "== gpu_concurrency.sh" | tee -a "$LOG"
  bash "$B/gpu_concurrency.sh" "$B" "$OUT" 4 2>&1 | tee "$OUT/concurrency.txt" | tee -a "$LOG"
  tar -C "$OUT" -czf "$OUT/concurrency.tgz" concurrency && rm -rf "$OUT/concurrency"
fi
# The IVF-Flat and IVF-PQ recall / throughput sweeps over nprobe on 1M x 128 (summary.csv and
# plot.svg per sweep), when asked: several minutes.
if [ "${TRAWL_SWEEPS:-0}" = 1 ]; then
  for sweep in ivf_nprobe_1m ivfpq_nprobe_1m; do
    echo "== trawl sweep configs/sweeps/$sweep.pbtxt" | tee -a "$LOG"
    (cd "$OUT" && BUILD_WORKING_DIRECTORY="$OUT" "$B/bin/trawl" sweep \
       "$B/trawl/configs/sweeps/$sweep.pbtxt" --output_dir="$OUT/sweep_$sweep" 2>&1 | tail -15) | tee -a "$LOG"
  done
  rm -rf "$OUT/index_cache"
  # One archive: the device tool brings back a limited number of files.
  tar -C "$OUT" -czf "$OUT/sweeps.tgz" sweep_ivf_nprobe_1m sweep_ivfpq_nprobe_1m && rm -rf "$OUT"/sweep_*
fi
# The anchors (TRAWL_SKIP_ANCHORS=1 skips them when their figures are not needed this call).
if [ "${TRAWL_SKIP_ANCHORS:-0}" = 1 ]; then
  echo "== anchors skipped (TRAWL_SKIP_ANCHORS=1)" | tee -a "$LOG"
elif [ -f "$B/torch_peer.py" ] && python3 -c "import torch" 2>/dev/null; then
  echo "== peer: torch_peer.py (same card, same call)" | tee -a "$LOG"
  python3 "$B/torch_peer.py" 2>&1 | tee "$OUT/torch_peer.txt" | tee -a "$LOG"
else
  echo "== peer: torch_peer.py not run (no PyTorch on this machine)" | tee -a "$LOG"
fi
if [ -x "$B/bin/anchor_faiss_probe" ] && [ "${TRAWL_SKIP_ANCHORS:-0}" != 1 ]; then
  echo "== anchor: faiss_probe (same card, same call)" | tee -a "$LOG"
  "$B/bin/anchor_faiss_probe" 2>&1 | tee "$OUT/anchor_faiss_probe.txt" | tee -a "$LOG"
fi
