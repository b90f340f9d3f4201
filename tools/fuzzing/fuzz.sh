#!/usr/bin/env bash
# Builds every fuzz target (tests tagged "fuzz") with libFuzzer, AddressSanitizer and
# UndefinedBehaviorSanitizer (--config=fuzz, clang 14), then runs each: its seed corpus
# (<package>/fuzz_corpus/<target>/) plus FUZZ_SECONDS (default 30) of new inputs. A crash, a leak,
# an input taking over 10 s or an allocation over 2 GiB fails the run; the input that did it is
# kept under $FUZZ_OUT (default /tmp/trawl_fuzz) and named in the output.
#
#   ./tools/fuzzing/fuzz.sh                 # every target, 30 s each
#   FUZZ_SECONDS=480 FUZZ_JOBS=16 ./tools/fuzzing/fuzz.sh   # the long run, targets in parallel
#   ./tools/fuzzing/fuzz.sh //stages/formats:trec_run_fuzzer
#
# Prints one line per target: executions, coverage and the verdict; exits non-zero on a finding.
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
SECONDS_EACH=${FUZZ_SECONDS:-30}
JOBS=${FUZZ_JOBS:-1}
OUT=${FUZZ_OUT:-/tmp/trawl_fuzz}
mkdir -p "$OUT"

targets=("$@")
if ((${#targets[@]} == 0)); then
  mapfile -t targets < <(bazel query 'attr(tags, "\bfuzz\b", tests(//...))' 2>/dev/null)
fi
if ((${#targets[@]} == 0)); then echo "fuzz: no fuzz targets found (bazel query failed?)"; exit 1; fi
bazel build --config=fuzz "${targets[@]}" || { echo "fuzz: build failed"; exit 1; }

run_one() {
  local target=$1 package=${1#//}
  local name=${package#*:}
  package=${package%%:*}
  local work="$OUT/$name"
  rm -rf "$work"; mkdir -p "$work/corpus" "$work/findings"
  cp "$package/fuzz_corpus/$name/"* "$work/corpus/"
  local log="$work/fuzz.log"
  "bazel-bin/$package/$name" "$work/corpus" -max_total_time="$SECONDS_EACH" -timeout=10 \
    -rss_limit_mb=2048 -malloc_limit_mb=2048 -print_final_stats=1 \
    -artifact_prefix="$work/findings/" >"$log" 2>&1
  local rc=$?
  local runs cov
  runs=$(grep -oE 'stat::number_of_executed_units: *[0-9]+' "$log" | grep -oE '[0-9]+$')
  cov=$(grep -oE 'cov: [0-9]+' "$log" | tail -1 | grep -oE '[0-9]+')
  if ((rc == 0)); then
    printf 'fuzz %-45s ok      %10s executions, coverage %s edges\n' "$target" "${runs:-?}" "${cov:-?}"
  else
    printf 'fuzz %-45s FAILED  (exit %d) %s; log %s\n' "$target" "$rc" \
      "$(ls "$work/findings" | head -1)" "$log"
    grep -m3 -E 'ERROR|SUMMARY|==[0-9]+==' "$log" | sed 's/^/    /'
  fi
  return $rc
}
export -f run_one
export SECONDS_EACH OUT

printf '%s\n' "${targets[@]}" | xargs -P "$JOBS" -I{} bash -c 'run_one {}'
