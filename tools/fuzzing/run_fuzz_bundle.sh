#!/usr/bin/env bash
# Runs on the many-core machine: every fuzz target of .bundle/trawl_fuzz.tar.xz at once, each with
# -fork=JOBS parallel jobs, for FUZZ_SECONDS (default 480), then one line per target with its
# executions, coverage and findings. Crashing inputs land in $OUT/<target>/.
#
#   bash tools/fuzzing/run_fuzz_bundle.sh .bundle/trawl_fuzz.tar.xz
set -uo pipefail
ARCHIVE=${1:-.bundle/trawl_fuzz.tar.xz}
OUT=${OUT:-/tmp/trawl_fuzz_out}
SECONDS_EACH=${FUZZ_SECONDS:-480}
WORK=/tmp/trawl_fuzz_bundle
mkdir -p "$OUT" "$WORK"
tar -C "$WORK" -xJf "$ARCHIVE"
B="$WORK/trawl_fuzz"
export LD_LIBRARY_PATH="$B/lib:${LD_LIBRARY_PATH:-}"
targets=$(ls "$B/bin")
count=$(echo "$targets" | wc -w)
jobs=$(( $(nproc) / count )); ((jobs < 1)) && jobs=1
echo "== $(nproc) cores, $count targets, -fork=$jobs each, ${SECONDS_EACH} s"
for t in $targets; do
  mkdir -p "$OUT/$t"
  "$B/bin/$t" "$B/corpus/$t" -fork="$jobs" -max_total_time="$SECONDS_EACH" -timeout=10 \
    -rss_limit_mb=2048 -malloc_limit_mb=2048 -ignore_crashes=1 -ignore_timeouts=1 -ignore_ooms=1 \
    -artifact_prefix="$OUT/$t/" > "$OUT/$t.log" 2>&1 &
done
wait
for t in $targets; do
  execs=$(grep -oE '^#[0-9]+' "$OUT/$t.log" | tail -1 | tr -d '#')
  cov=$(grep -oE 'cov: [0-9]+' "$OUT/$t.log" | tail -1 | grep -oE '[0-9]+')
  findings=$(ls "$OUT/$t" | grep -cE '^(crash|leak|timeout|oom|slow-unit)-' || true)
  printf '%-28s %12s executions  coverage %6s edges  findings %s\n' "$t" "${execs:-?}" "${cov:-?}" "$findings"
done
