#!/usr/bin/env bash
# Same-run A/B of two revisions on this machine: builds the benchmarks of both (git worktrees under $AB_DIR, default
# /tmp/microgradplus-ab), then runs them in alternating rounds (A, B, A, B, …) with the same arguments, so drift of the
# machine hits both alike, and prints one table: per workload the best mean of each side and B/A (below 1: B faster).
#
#   benchmarks/ab.sh BASE [NEW] [-- benchmark arguments]
#   benchmarks/ab.sh fbac041 HEAD -- --devices cpu --filter '*Mlp*'
#
# NEW defaults to the working tree as committed at HEAD. Arguments after -- go to every run (default: --quick).
# ROUNDS (default 2) sets the rounds; the table is also written to $AB_DIR/ab.md, the raw JSON lines beside it.
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)
[ $# -ge 1 ] || { sed -n '2,10p' "${BASH_SOURCE[0]}"; exit 2; }
base=$1; shift
new=HEAD
if [ $# -gt 0 ] && [ "$1" != "--" ]; then new=$1; shift; fi
[ "${1:-}" = "--" ] && shift
args=("$@")
[ ${#args[@]} -gt 0 ] || args=(--quick)
dir=${AB_DIR:-/tmp/microgradplus-ab}
rounds=${ROUNDS:-2}
export DOTNET_NOLOGO=1 DOTNET_CLI_TELEMETRY_OPTOUT=1

rm -rf "$dir"
mkdir -p "$dir"
for side in a b; do
  rev=$([ "$side" = a ] && echo "$base" || echo "$new")
  git -C "$repo" worktree add --force --detach "$dir/$side" "$rev" >/dev/null
  echo "== $side: $(git -C "$dir/$side" log -1 --format='%h %s' | cut -c1-100)"
  dotnet build -c Release "$dir/$side/benchmarks/MicrogradPlus.Benchmarks" -nologo -v q -tl:off >"$dir/$side.build.log" 2>&1 \
    || { tail -20 "$dir/$side.build.log"; exit 1; }
done
cleanup() { for side in a b; do git -C "$repo" worktree remove --force "$dir/$side" 2>/dev/null || true; done; }
trap cleanup EXIT

for ((r = 1; r <= rounds; r++)); do
  for side in a b; do
    echo "== round $r: $side ${args[*]}"
    (cd "$dir/$side" && dotnet run -c Release --no-build --project benchmarks/MicrogradPlus.Benchmarks -- "${args[@]}" \
      --artifacts "$dir/$side-$r" --results "$dir/$side-$r.jsonl" </dev/null >"$dir/$side-$r.log" 2>&1) \
      || { tail -30 "$dir/$side-$r.log"; exit 1; }
  done
done

python3 - "$dir" "$rounds" "$base" "$new" <<'EOF' | tee "$dir/ab.md"
import json, sys
directory, rounds, base, new = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
best = {}
for side in "ab":
    for r in range(1, rounds + 1):
        try:
            lines = open(f"{directory}/{side}-{r}.jsonl").read().splitlines()
        except FileNotFoundError:
            continue
        for line in lines:
            row = json.loads(line)
            key = (row["name"], row["device"], row["size"])
            best.setdefault(key, {})
            best[key][side] = min(best[key].get(side, float("inf")), row["mean_us"])
print(f"| workload | device | size | A {base} µs | B {new} µs | B/A |")
print("|---|---|---:|---:|---:|---:|")
ratios = []
for (name, device, size), sides in sorted(best.items()):
    a, b = sides.get("a"), sides.get("b")
    ratio = b / a if a and b else None
    if ratio:
        ratios.append(ratio)
    fmt = lambda v: f"{v:,.2f}" if v is not None else "—"
    print(f"| {name} | {device} | {size:,} | {fmt(a)} | {fmt(b)} | {fmt(ratio)} |")
if ratios:
    product = 1.0
    for ratio in ratios:
        product *= ratio
    print(f"\ngeometric mean B/A over {len(ratios)} workloads: {product ** (1 / len(ratios)):.3f}; "
          f"best of {rounds} alternating rounds each")
EOF
