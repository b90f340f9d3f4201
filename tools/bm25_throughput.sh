#!/usr/bin/env bash
# BM25 from text on this machine: documents analysed and indexed per second, and queries per
# second, on the Cranfield collection repeated N times (each copy with its own ids) so the work
# is long enough to time. Writes a new dated log under results/ (never overwrites one).
#
#   ./tools/bm25_throughput.sh [COPIES]      (default 100: 140,000 documents, 22,500 queries)
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
COPIES=${1:-100}
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
bazel build //tools:trawl >/dev/null 2>&1
for ((c = 0; c < COPIES; c++)); do
  zcat tests/testdata/cranfield/docs.jsonl.gz | sed "s/^{\"id\": \"\([^\"]*\)\"/{\"id\": \"c$c-\1\"/"
done > "$WORK/docs.jsonl"
for ((c = 0; c < COPIES; c++)); do sed "s/^/c$c-/" tests/testdata/cranfield/topics.tsv; done > "$WORK/topics.tsv"
sed -e "s|tests/testdata/cranfield/docs.jsonl.gz|$WORK/docs.jsonl|" \
    -e "s|tests/testdata/cranfield/topics.tsv|$WORK/topics.tsv|" \
    -e '/^stage {$/{N;/qrels_reader\|trec_eval\|trec_run_writer/{:a;N;/\n}/!ba;d}}' \
    configs/bm25_cranfield.pbtxt > "$WORK/bm25.pbtxt"
(cd "$WORK" && "$ROOT/bazel-bin/tools/trawl" run bm25.pbtxt > run.log 2>&1) || { cat "$WORK/run.log"; exit 1; }
LOG="results/$(date +%F)-vm-bm25-throughput.txt"
n=1; while [ -e "$LOG" ]; do n=$((n + 1)); LOG="results/$(date +%F)-vm-bm25-throughput-$n.txt"; done
python3 - "$WORK/trawl_report.json" "$COPIES" "$(nproc)" > "$LOG" <<'PY'
import json, sys
report = json.load(open(sys.argv[1]))
stages = {s["name"]: s for s in report["stage"]}
copies, cores = int(sys.argv[2]), sys.argv[3]
docs, queries = 1400 * copies, 225 * copies
sec = lambda name: float(stages[name]["wallSeconds"])
index = sec("docs") + sec("doc_vectors") + sec("index")
search = sec("query_vectors") + sec("search")
print(f"# BM25 from text on this VM ({cores} cores, no GPU), {sys.argv[2]} copies of Cranfield")
print(f"documents: {docs}, queries: {queries}, k = 1000, MAXSCORE")
for name in ("docs", "doc_vectors", "index", "topics", "query_vectors", "search"):
    print(f"stage {name}: {sec(name):.3f} s  {stages[name].get('notes', {})}")
print(f"indexing (read + analyse + weigh + build): {docs / index:.0f} documents/s")
print(f"searching (analyse + search): {queries / search:.0f} queries/s")
PY
cat "$LOG"
