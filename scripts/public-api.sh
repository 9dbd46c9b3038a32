#!/usr/bin/env bash
# Rewrites src/*/PublicAPI.Shipped.txt from the code: the public surface of MicrogradPlus, MicrogradPlus.Backends and
# MicrogradPlus.Kernels as Microsoft.CodeAnalysis.PublicApiAnalyzers spells it. A normal build checks the code against
# these files (RS0016: public symbol missing from them, RS0017: listed symbol gone; warnings are errors).
#
# How: empty both baseline files of each project, rebuild the three src projects with warnings left as warnings, and
# collect the symbol string of every RS0016 diagnostic ("Symbol '<api line>' is not part of the declared public API"),
# which is the exact line the analyzer expects. PublicAPI.Unshipped.txt is left empty: the whole surface is the
# baseline. Review the diff (git diff src/*/PublicAPI.Shipped.txt) before committing: every added line is new public
# API, every removed line a breaking change.
#
# Usage: scripts/public-api.sh   (then `dotnet build -c Release` must pass: it is the check)
set -euo pipefail
cd "$(dirname "$0")/.."

projects=(Kernels Backends Tensor)

log=$(mktemp)
trap 'rm -f "$log"' EXIT
for p in "${projects[@]}"; do
    printf '#nullable enable\n' > "src/$p/PublicAPI.Shipped.txt"
    printf '#nullable enable\n' > "src/$p/PublicAPI.Unshipped.txt"
done
# --no-incremental: diagnostics are only reported by a compilation that runs.
dotnet build -c Release src/Tensor/MicrogradPlus.csproj --no-incremental -nologo -v q -tl:off \
    -p:TreatWarningsAsErrors=false -p:WarningsAsErrors= > "$log" 2>&1 || { cat "$log"; exit 1; }

for p in "${projects[@]}"; do
    project="[$(pwd)/src/$p/"
    {
        printf '#nullable enable\n'
        { grep -F "$project" "$log" || true; } \
            | sed -n "s/.*warning RS0016: Symbol '\(.*\)' is not part of the declared public API.*/\1/p" \
            | LC_ALL=C sort -u
    } > "src/$p/PublicAPI.Shipped.txt"
    echo "src/$p/PublicAPI.Shipped.txt: $(($(wc -l < "src/$p/PublicAPI.Shipped.txt") - 1)) symbols"
done

# The analyzer's other rules (RS0022 inheritable base, RS0026/RS0027 overloads with optional parameters) apply to API
# not yet in a baseline, so during this run they fire for the whole surface; once it is the baseline they only guard
# what is added later. Shown so that a new public API can be reviewed against them.
others=$(grep -E 'warning RS0[0-9]+' "$log" | grep -v 'warning RS0016' | sed -e 's/ (https:[^)]*)//' -e "s/ See '[^']*' for details\.//" | sort -u || true)
if [[ -n "$others" ]]; then
    echo "other public-API diagnostics (enforced for new API only):"
    echo "$others" | sed "s|$(pwd)/||"
fi
