#!/usr/bin/env bash
# Runs on the lent GPU machine (from tools/run_gpu_bundle.sh when TRAWL_CONCURRENCY=1): N copies
# of tools/concurrency/exact_knn_8m.pbtxt (each about a third of an 80 GB card) one after the
# other, then N at once sharing the card through the memory ledger, then N at once without it
# (memory.no_ledger), and reports wall times, where each run's exact_knn landed, how long it
# waited, and whether every run file equals the first serial run's.
#
#   bash tools/gpu_concurrency.sh BUNDLE_DIR OUT_DIR [N]
set -uo pipefail
B=$1
OUT=$2
N=${3:-4}
CFG="$B/trawl/tools/concurrency/exact_knn_8m.pbtxt"
NO_LEDGER="$OUT/no_ledger.pbtxt"
sed 's/^memory { device: GPU }/memory { device: GPU no_ledger: true }/' "$CFG" > "$NO_LEDGER"
W="$OUT/concurrency"
rm -rf "$W"; mkdir -p "$W"

run_one() {  # DIR CONFIG
  mkdir -p "$1"
  (cd "$1" && BUILD_WORKING_DIRECTORY="$1" "$B/bin/trawl" run "$2" --report=report.json > log.txt 2>&1)
  echo $? > "$1/status"
}

summary() {  # DIR: status, exact_knn's rung and ledger line, run file identical to serial/1
  python3 - "$1" "$W/serial/1/exact.run" <<'PY'
import json, os, sys, filecmp
d, ref = sys.argv[1], sys.argv[2]
status = open(os.path.join(d, "status")).read().strip()
line = f"{d.split('/concurrency/')[1]}: exit {status}"
try:
    r = json.load(open(os.path.join(d, "report.json")))
    for s in r["stage"]:
        if s["name"] == "exact":
            m = s.get("memory", {})
            line += f", exact_knn {s['wallSeconds']:.1f} s on {m.get('finalRung', '?')}"
            if m.get("ledger"): line += f" ({m['ledger']})"
            if m.get("skippedRungs"): line += f"; skipped: {m['skippedRungs']}"
            if m.get("attempt") and len(m["attempt"]) > 1: line += f"; attempts: {[a.get('error', 'ok')[:120] for a in m['attempt']]}"
    if not r.get("ok", False): line += f"; error: {r.get('error', '')[:300]}"
except Exception as e:
    line += f"; no report ({e})"
run = os.path.join(d, "exact.run")
line += ", run file " + ("identical to serial" if os.path.exists(run) and filecmp.cmp(run, ref, shallow=False) else "DIFFERS or missing")
print(line)
PY
}

echo "== $N pipelines of $(basename "$CFG") on $(nvidia-smi --query-gpu=name,memory.total --format=csv,noheader)"
start=$(date +%s%N)
for i in $(seq 1 "$N"); do run_one "$W/serial/$i" "$CFG"; done
serial=$(( ($(date +%s%N) - start) / 1000000 ))
echo "serial: $serial ms"
for i in $(seq 1 "$N"); do summary "$W/serial/$i"; done

rm -f /dev/shm/trawl-gpu-ledger
start=$(date +%s%N)
for i in $(seq 1 "$N"); do run_one "$W/ledger/$i" "$CFG" & done
wait
together=$(( ($(date +%s%N) - start) / 1000000 ))
echo "at once, with the ledger: $together ms (serial $serial ms)"
for i in $(seq 1 "$N"); do summary "$W/ledger/$i"; done

start=$(date +%s%N)
for i in $(seq 1 "$N"); do run_one "$W/no_ledger/$i" "$NO_LEDGER" & done
wait
alone=$(( ($(date +%s%N) - start) / 1000000 ))
echo "at once, without the ledger (memory.no_ledger): $alone ms"
for i in $(seq 1 "$N"); do summary "$W/no_ledger/$i"; done
# The run files are large and equal: keep the logs and reports only.
find "$W" -name exact.run -delete
