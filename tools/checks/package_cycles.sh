#!/usr/bin/env bash
# The package graph of the libraries and binaries has no cycle: no package depends on one that
# depends on it (tests and testonly helpers, which may reach across, are left out as sources).
# Run by .ci/run; prints "package graph: N packages, no cycle" or each cycle with its edges.
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
excluded=$(mktemp)
trap 'rm -f "$excluded"' EXIT
bazel query 'tests(//...) + attr(testonly, 1, //...)' 2>/dev/null > "$excluded" || exit 1
bazel query 'deps(//..., 1)' --output=graph 2>/dev/null | python3 tools/checks/package_cycles.py "$excluded"
