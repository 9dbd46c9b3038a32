#!/usr/bin/env bash
# A long soak by hand: trains a small MLP with Adam for many steps on one device, in scopes (the default) or carelessly
# (no scope, no dispose), and prints the pool's memory counters and the process's working set every N steps. Flat
# live/cached counters and a flat working set after the first report mean nothing leaks; the careless mode shows the
# pool's bound (live bytes stay within what survives a collection + the cache bound, see BufferPool's remarks).
#
# Usage: scripts/soak.sh [steps=200000] [scoped|careless] [device=cpu] [every=10000]
# Builds src/Tensor in Release first; runs as a .NET 10 file-based app (about 2 minutes of build the first time).
set -euo pipefail
cd "$(dirname "$0")/.."
steps=${1:-200000}
mode=${2:-scoped}
device=${3:-cpu}
every=${4:-10000}
dotnet build -c Release src/Tensor/MicrogradPlus.csproj -nologo -v q
app=$(mktemp -d)/soak.cs
trap 'rm -rf "$(dirname "$app")"' EXIT
cat > "$app" <<CS
#:project $(pwd)/src/Tensor/MicrogradPlus.csproj
#:property PublishAot=false
#:property TreatWarningsAsErrors=false
using MicrogradPlus;
using MicrogradPlus.Nn;
using MicrogradPlus.Optim;

int steps = int.Parse(args[0]);
bool scoped = args[1] == "scoped";
var device = Device.Parse(args[2]);
int every = int.Parse(args[3]);
var model = new Mlp(2, [64, 64], 2, Activation.Tanh, device, seed: 1);
var optimizer = new Adam(model.Parameters(), lr: 1e-3f);
var x = Tensor.Randn([32, 2], seed: 2, device: device);
var target = Tensor.Randn([32, 2], seed: 3, device: device);
var clock = System.Diagnostics.Stopwatch.StartNew();
for (int step = 1; step <= steps; step++)
{
    using (scoped ? Tensor.Scope() : null)
    {
        var loss = Functional.Mse(model.Forward(x), target);
        loss.Backward();
        optimizer.Step();
        optimizer.ZeroGrad();
    }
    if (step % every == 0)
    {
        var s = device.MemoryStats();
        Console.WriteLine(\$"step {step,8}: live {s.LiveBuffers} buffers {s.LiveBytes / 1024.0:F0} KiB (peak " +
            \$"{s.PeakLiveBytes / 1024.0:F0} KiB), cached {s.CachedBytes / 1024.0:F0} KiB, allocations " +
            \$"{s.DeviceAllocations}, collections {s.Collections}, working set " +
            \$"{Environment.WorkingSet / 1048576.0:F0} MiB, {clock.Elapsed.TotalSeconds:F0} s");
    }
}
CS
dotnet run "$app" -- "$steps" "$mode" "$device" "$every"
