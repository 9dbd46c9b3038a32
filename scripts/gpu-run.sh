#!/usr/bin/env bash
# Everything that needs an NVIDIA GPU, in one run on a machine without .NET: the whole test suite on CUDA, the main
# job on CUDA, then MicrogradPlus against PyTorch (benchmarks/gpu-side-by-side.sh).
#
# Here, from the repository root (packs the .NET runtime and the three apps into .gpu/, ignored by git):
#   ../shared/tools/pack-for-gpu.sh tests/MicrogradPlus.Tests/MicrogradPlus.Tests.csproj \
#     samples/MicrogradPlus.Train/MicrogradPlus.Train.csproj benchmarks/MicrogradPlus.Benchmarks/MicrogradPlus.Benchmarks.csproj
# There, from the repository root with .gpu/ copied along:
#   bash scripts/gpu-run.sh
# Results go to $OUT when set (else ./gpu-results): cuda-tests.xml/.log, train/ and train.log, side-by-side files,
# and all of them again in one archive, results.tar.gz (BenchmarkDotNet's reports, which the chart tool reads, sit
# four folders down).
# Each stage has its own time limit (TESTS_TIMEOUT 90, TRAIN_TIMEOUT 30 twice, BENCH_TIMEOUT 260, TORCH_TIMEOUT 110
# seconds: at most 520 s, under the device tool's 600 s per command). On an H200 (2026-11-27) the stages took 22 s,
# 2 s twice, 183 s and 63 s. Run with timeout_s 600 and carry [".gpu"].
set -uo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)
cd "$root"
out=${OUT:-$root/gpu-results}
mkdir -p "$out"
[ -f .gpu/env.sh ] || { echo "no .gpu/env.sh: pack first (see the header of this script)" >&2; exit 2; }
# shellcheck disable=SC1091
source .gpu/env.sh
started=$SECONDS
say() { printf '== [%3ds] %s\n' $((SECONDS - started)) "$*"; }
command -v nvidia-smi >/dev/null && nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader

say "test suite on CUDA"
MICROGRAD_TEST_DEVICES=cuda timeout "${TESTS_TIMEOUT:-90}" bash -c \
  'source .gpu/env.sh && run_app MicrogradPlus.Tests -noColor -result-xml "$1"' _ "$out/cuda-tests.xml" \
  >"$out/cuda-tests.log" 2>&1 </dev/null
echo "   exit $?"
grep -E '\[FAIL\]|Total:' "$out/cuda-tests.log" | head -40
grep -A8 '\[FAIL\]' "$out/cuda-tests.log" | head -60
# The cuBLAS and blocked-matmul rows with their results, so a skip (cuBLAS not loading) is visible at once.
grep -oE '<test [^>]*result="[A-Za-z]+"' "$out/cuda-tests.xml" 2>/dev/null \
  | grep -E '(CuBlas_matches|Blocked_kernel_matches)[^"]*cuda' | sed -E 's/.*\.([A-Za-z0-9_]+)\(.*result="([A-Za-z]+)"/   \1 on cuda: \2/'

say "main job on CUDA"
timeout "${TRAIN_TIMEOUT:-30}" bash -c 'source .gpu/env.sh && run_app MicrogradPlus.Train --device cuda --out "$1"' _ \
  "$out/train" >"$out/train.log" 2>&1 </dev/null
echo "   exit $?"
grep -E '^(device|result|speed|wrote):' "$out/train.log"
timeout "${TRAIN_TIMEOUT:-30}" bash -c \
  'source .gpu/env.sh && run_app MicrogradPlus.Train --device cuda --dataset digits --hidden 64 --out "$1"' _ \
  "$out/train-digits" >"$out/train-digits.log" 2>&1 </dev/null
echo "   exit $?"
grep -E '^(result|speed):' "$out/train-digits.log"

say "benchmarks against PyTorch"
OUT="$out/bench" BENCH_TIMEOUT="${BENCH_TIMEOUT:-260}" TORCH_TIMEOUT="${TORCH_TIMEOUT:-110}" \
  bash benchmarks/gpu-side-by-side.sh
archive=$(mktemp) && tar czf "$archive" -C "$out" --exclude ./results.tar.gz . && mv "$archive" "$out/results.tar.gz"
say "done"
