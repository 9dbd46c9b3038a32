#!/usr/bin/env bash
# Packs the test project for an NVIDIA machine without .NET, and prints the command that runs its CUDA rows there.
# Usage: scripts/gpu-check.sh   (from anywhere in the clone; writes .gpu/ at the repository root, which git ignores)
# The packing is done by ../shared/tools/pack-for-gpu.sh beside the clone (override with PACK_FOR_GPU=path): it
# publishes the project framework-dependent and packs this machine's .NET runtime once. Take the repository with
# its .gpu/ folder to the GPU machine and run the printed command there from the repository root.
set -euo pipefail
root=$(git -C "$(dirname "${BASH_SOURCE[0]}")" rev-parse --show-toplevel)
pack=${PACK_FOR_GPU:-$root/../shared/tools/pack-for-gpu.sh}
[ -f "$pack" ] || { echo "gpu-check: $pack not found (set PACK_FOR_GPU)" >&2; exit 1; }
cd "$root"
bash "$pack" tests/MicrogradPlus.Tests/MicrogradPlus.Tests.csproj
echo
echo "On the NVIDIA machine, from the repository root (results.xml is written only when \$OUT is set):"
# shellcheck disable=SC2016  # printed for the other machine, not expanded here
echo 'source .gpu/env.sh && MICROGRAD_TEST_DEVICES=cuda run_app MicrogradPlus.Tests -noColor' \
  '${OUT:+-result-xml "$OUT/results.xml"}'
echo "The CUDA rows must say passed, not [SKIP] (a skip names what was missing, e.g. libcuda.so.1)."
