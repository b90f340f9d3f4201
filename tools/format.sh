#!/usr/bin/env bash
# Formats every tracked C++ and proto file in place as .clang-format says (Google style, 100
# columns); .ci/run checks the same files with --dry-run --Werror.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
git ls-files --cached --others --exclude-standard '*.cc' '*.h' '*.cu' '*.proto' | xargs clang-format -i
