#!/usr/bin/env bash
# The CPU device against PyTorch with a real BLAS on this machine: matmul (n = 64 … 1024) and the four MLP training
# steps, ours twice — with the system BLAS path (Device.UseSystemBlas, the default where OpenBLAS is installed) and
# with it off (MICROGRAD_BLAS=0: the managed GEMM) — against one PyTorch run, as two side-by-side tables.
#
#   bash benchmarks/cpu-side-by-side.sh            (about 3 minutes on 2 cores; results in ./side-by-side-cpu or $OUT)
#
# The anchor: Debian's python3-torch calls whatever libblas.so.3 the system selects; without OpenBLAS that is the
# netlib reference BLAS (4–5 GFLOP/s), which flatters every ratio. So install OpenBLAS first
# (apt-get install libopenblas0-pthread: update-alternatives then points libblas.so.3 at it); this script prints the
# BLAS torch actually loaded and refuses to compare against the reference one. For torch's run only it unsets
# OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE (they pin OpenBLAS to a slower kernel) and leaves torch's thread count at its
# default (OpenBLAS runs its own threads; OMP_NUM_THREADS=2 on top oversubscribes them).
# Settings (environment): PYTHON (default /usr/bin/python3), OUT, BENCH_ARGS (more arguments for our benchmarks).
set -uo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)
cd "$root"
out=${OUT:-$root/side-by-side-cpu}
mkdir -p "$out"
out=$(cd "$out" && pwd -P)
python=${PYTHON:-/usr/bin/python3}
read -r -a bench_args <<<"${BENCH_ARGS:-}"
status=0
say() { printf '== %s\n' "$*"; }

say "$(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) cores: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
blas=$(env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE "$python" - <<'PY' 2>&1
import sys
sys.path.insert(0, "benchmarks")
import torch
from torch_twin import blas_in_use
torch.ones(8, 8) @ torch.ones(8, 8)
print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, BLAS: {blas_in_use()}")
PY
) || { echo "!! $python cannot run torch: $blas"; exit 2; }
say "$blas"
case "$blas" in
  *openblas*|*blis*|*mkl*) ;;
  *) echo "!! torch is not on an optimised BLAS (install libopenblas0-pthread); no comparison against the reference BLAS"
     exit 2 ;;
esac

for mode in blas managed; do
  flag=1; [ "$mode" = managed ] && flag=0
  say "ours, cpu device, MICROGRAD_BLAS=$flag (log: ours-$mode.log)"
  rm -f "$out/ours-$mode.jsonl"
  MICROGRAD_BLAS=$flag dotnet run -c Release --project benchmarks/MicrogradPlus.Benchmarks -- --devices cpu \
    --filter '*MatMulBenchmarks.Auto*' '*MlpBenchmarks*' --artifacts "$out/bdn-$mode" \
    --results "$out/ours-$mode.jsonl" "${bench_args[@]}" >"$out/ours-$mode.log" 2>&1 </dev/null || status=1
  grep -E '^  cpu' "$out/ours-$mode.log" | sed 's/^/   /'
done

say "PyTorch twin on the CPU (log: torch.log)"
env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE "$python" benchmarks/torch_twin.py --device cpu --filter '^(matmul|mlp_)' \
  --out "$out/torch.jsonl" >/dev/null 2>"$out/torch.log" </dev/null || status=1
sed 's/^/   /' "$out/torch.log"

for mode in blas managed; do
  say "side by side, ours with $([ "$mode" = blas ] && echo 'the system BLAS' || echo 'the managed GEMM') ($mode.md)"
  if [ -s "$out/ours-$mode.jsonl" ] && [ -s "$out/torch.jsonl" ]; then
    "$python" benchmarks/side_by_side.py "$out/ours-$mode.jsonl" "$out/torch.jsonl" --out "$out/$mode.md" || status=1
  else
    echo "!! nothing to compare for $mode"
    status=1
  fi
done
exit "$status"
