#!/usr/bin/env bash
# MicrogradPlus against PyTorch on the GPU machine, printed as one side-by-side table.
#
# On the .NET machine, first (the GPU machine has no .NET; this packs the runtime and the benchmarks into .gpu/):
#   ../shared/tools/pack-for-gpu.sh benchmarks/MicrogradPlus.Benchmarks/MicrogradPlus.Benchmarks.csproj
# Then on the GPU machine, from the repository root (with .gpu/ carried along):
#   bash benchmarks/gpu-side-by-side.sh
# It runs, one after the other:
#   1. MicrogradPlus.Benchmarks (BenchmarkDotNet, in-process, short job) on the CUDA device: every workload;
#   2. benchmarks/torch_twin.py on CUDA: the same workloads in PyTorch;
#   3. benchmarks/side_by_side.py: the table (workload, size, ours µs, torch µs, ours/torch, GB/s or GFLOP/s).
# About 4 minutes on an H200, ILGPU's kernel compiles included (each stage has a time limit, see below).
#
# Results go to $OUT (the device tool's output folder) when set, else ./side-by-side:
#   ours.jsonl, torch.jsonl, side-by-side.md, ours.log, torch.log, bdn/results/*-report-full.json and *-github.md
# (the JSON reports feed benchmarks/MicrogradPlus.Charts on the .NET machine).
#
# Settings (environment):
#   BENCH_DEVICES  our devices, default cuda          TORCH_DEVICE   torch's device, default cuda
#   BENCH_ARGS     more arguments for our benchmarks, e.g. "--quick" or "--filter *MatMul*"
#   TORCH_ARGS     more arguments for torch_twin.py, e.g. "--quick" or "--filter ^matmul"
#   BENCH_TIMEOUT  seconds for our run, default 300  TORCH_TIMEOUT  seconds for torch, default 150
#   PYTHON         default python3
# Without .gpu/ it runs our benchmarks with `dotnet run -c Release` (a machine with the .NET SDK), so the same
# script checks its plumbing on the CPU:  BENCH_DEVICES=cpu TORCH_DEVICE=cpu BENCH_ARGS=--quick
#   TORCH_ARGS=--quick PYTHON=/usr/bin/python3 bash benchmarks/gpu-side-by-side.sh
set -uo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)
cd "$root"
out=${OUT:-$root/side-by-side}
mkdir -p "$out"
out=$(cd "$out" && pwd -P)
devices=${BENCH_DEVICES:-cuda}
torch_device=${TORCH_DEVICE:-cuda}
python=${PYTHON:-python3}
read -r -a bench_args <<<"${BENCH_ARGS:-}"
read -r -a torch_args <<<"${TORCH_ARGS:-}"
status=0
started=$SECONDS

say() { printf '== [%3ds] %s\n' $((SECONDS - started)) "$*"; }

say "$(date -u '+%Y-%m-%d %H:%M UTC') on $(hostname); results in $out"
if command -v nvidia-smi >/dev/null; then
  nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader | sed 's/^/   GPU: /'
fi

# --- 1. MicrogradPlus ----------------------------------------------------------------------------------------------
if [ -f .gpu/env.sh ]; then
  # run_app is a shell function of env.sh (which unpacks the runtime and the app under /tmp once); `timeout` needs
  # a command, so a child shell sources it. (BenchmarkDotNet's log then complains that no .NET SDK is installed:
  # harmless, it only wanted the SDK's version for the report header.)
  # shellcheck disable=SC2016  # expanded by the child shell
  ours=(bash -c 'source .gpu/env.sh && run_app MicrogradPlus.Benchmarks "$@"' _)
elif command -v dotnet >/dev/null; then
  ours=(dotnet run -c Release --project benchmarks/MicrogradPlus.Benchmarks --)
else
  echo "!! neither .gpu/env.sh (pack-for-gpu.sh) nor dotnet: cannot run our benchmarks" >&2
  exit 2
fi
say "MicrogradPlus benchmarks on ${devices} (log: ours.log)"
rm -f "$out/ours.jsonl"
rc=0
timeout "${BENCH_TIMEOUT:-300}" "${ours[@]}" --devices "$devices" --artifacts "$out/bdn" \
  --results "$out/ours.jsonl" "${bench_args[@]}" >"$out/ours.log" 2>&1 </dev/null || rc=$?
grep -E '^MicrogradPlus benchmarks|^  (cpu|cuda|opencl|cuBLAS)|^results:|^benchmarks|^FAILED' "$out/ours.log" \
  | sed 's/^/   /'
if [ "$rc" -ne 0 ]; then
  status=1
  if [ "$rc" -eq 124 ]; then
    echo "!! our benchmarks ran past ${BENCH_TIMEOUT:-300} s: the table has the classes that finished"
  fi
  echo "!! our benchmarks exited $rc; the end of ours.log:"
  tail -n 25 "$out/ours.log" | sed 's/^/   | /'
fi

# --- 2. PyTorch ----------------------------------------------------------------------------------------------------
say "PyTorch twin on ${torch_device} (log: torch.log)"
if ! "$python" -c 'import torch' 2>/dev/null; then
  echo "!! $python cannot import torch (set PYTHON to a Python that has it)"
fi
rc=0
timeout "${TORCH_TIMEOUT:-150}" "$python" benchmarks/torch_twin.py --device "$torch_device" --out "$out/torch.jsonl" \
  "${torch_args[@]}" >/dev/null 2>"$out/torch.log" </dev/null || rc=$?
sed 's/^/   /' "$out/torch.log" | tail -n 5
if [ "$rc" -ne 0 ]; then
  status=1
  echo "!! torch_twin.py exited $rc"
fi

# --- 3. The table --------------------------------------------------------------------------------------------------
say "side by side (side-by-side.md)"
if [ -s "$out/ours.jsonl" ] && [ -s "$out/torch.jsonl" ]; then
  "$python" benchmarks/side_by_side.py "$out/ours.jsonl" "$out/torch.jsonl" --out "$out/side-by-side.md" || status=1
else
  echo "!! nothing to compare: ours.jsonl or torch.jsonl is missing or empty"
  status=1
fi
say "done (exit $status)"
exit "$status"
