#!/usr/bin/env bash
# Host memory of a CPU Flat build from an .fvecs file: writes ROWS x 128 random vectors (default
# 8M rows, 4.1 GB), runs vector_reader -> faiss_index_build (Flat, CPU) -> faiss_search on 100 of
# them, and prints the process's peak resident memory against the file's size (target <= 1.2).
#
#   ./tools/host_memory_peak.sh [ROWS] > results/YYYY-MM-DD-<machine>-host-memory-peak.txt
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
ROWS=${1:-8000000}
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
bazel build -c opt //tools:trawl //tools/testdata:write_random_fvecs >/dev/null 2>&1
bazel-bin/tools/testdata/write_random_fvecs "$WORK/base.fvecs" "$ROWS" 128
cat > "$WORK/peak.pbtxt" <<CFG
name: "host_memory_peak"
memory { device: CPU }
stage {
  type: "vector_reader" name: "corpus" output: "vectors:corpus"
  options { [type.googleapis.com/trawl.io.VectorReaderOptions] { path: "$WORK/base.fvecs" } }
}
stage {
  type: "vector_reader" name: "queries" output: "vectors:queries"
  options { [type.googleapis.com/trawl.io.VectorReaderOptions] { path: "$WORK/base.fvecs" limit: 100 } }
}
stage {
  type: "faiss_index_build" name: "index" input: "corpus:corpus" output: "index:index"
  options { [type.googleapis.com/trawl.dense.FaissIndexBuildOptions] { factory: "Flat" metric: L2 } }
}
stage {
  type: "faiss_search" name: "search" input: "index:index" input: "queries:queries"
  output: "results:results"
  options { [type.googleapis.com/trawl.dense.FaissSearchOptions] { k: 10 } }
}
CFG
file_bytes=$(stat -c %s "$WORK/base.fvecs")
/usr/bin/time -f "%M %e" -o "$WORK/time" bazel-bin/tools/trawl run "$WORK/peak.pbtxt" \
  --report="$WORK/report.json" > "$WORK/run.log" 2>&1
read -r peak_kb seconds < "$WORK/time"
echo "# $(date -u +%F) $(hostname): host_memory_peak.sh $ROWS rows x 128 (CPU Flat build from .fvecs)"
grep -E "corpus|index|search|total" "$WORK/run.log" | sed 's/^/#   /'
awk -v f="$file_bytes" -v p="$peak_kb" -v s="$seconds" 'BEGIN {
  printf "file_bytes: %.0f peak_rss_bytes: %.0f wall_s: %.1f peak_to_file: %.3f\n", f, p * 1024, s, p * 1024 / f }'
