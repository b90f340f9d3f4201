#!/usr/bin/env bash
# The package graph of the libraries and binaries has no cycle: no package depends on one that
# depends on it (tests and testonly helpers, which may reach across, are left out as sources).
# Run by .ci/run; prints "package graph: N packages, no cycle" or each cycle with its edges.
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
excluded=$(mktemp)
trap 'rm -f "$excluded"' EXIT
graph=$(mktemp)
trap 'rm -f "$excluded" "$graph"' EXIT
if ! bazel query 'tests(//...) + attr(testonly, 1, //...)' > "$excluded" 2>/dev/null ||
   ! bazel query 'deps(//..., 1)' --output=graph > "$graph" 2>/dev/null; then
  echo "package graph: bazel query failed (run it by hand to see why)"
  exit 1
fi
python3 tools/checks/package_cycles.py "$excluded" < "$graph"
