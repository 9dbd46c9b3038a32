#!/usr/bin/env bash
# `dotnet test -c Release` with the skips of absent devices summarised: one line per device with the count instead of
# three lines per test. Arguments go to dotnet test (e.g. --filter-class "*ElementwiseOpTests"). Exit: dotnet test's.
set -o pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
dotnet test -c Release "$@" 2>&1 | awk -f .ci/summarise-skips.awk
