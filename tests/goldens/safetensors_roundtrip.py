#!/usr/bin/env python3
"""Reference safetensors files for tests/MicrogradPlus.Tests/Nn/SafetensorsTests.cs, written by Hugging Face's own
library, and a check that it reads files written by MicrogradPlus.

  python3 safetensors_roundtrip.py write DIR     writes DIR/reference_f32_f64.safetensors and
                                                 DIR/reference_half.safetensors with safetensors.torch.save_file
  python3 safetensors_roundtrip.py check FILE..  loads each FILE with safetensors.torch.load_file and compares it
                                                 with the tensors below (exit 1 on a mismatch)

Needs torch and safetensors (pip install safetensors; Debian 12 has no package for it; the fixtures came from
safetensors 0.8.0 with torch 2.11 on the GPU machine). The two .safetensors files
in tests/MicrogradPlus.Tests/Nn/Fixtures/ were written by `write`; the C# tests check that MicrogradPlus loads them
and that its writer reproduces reference_f32_f64.safetensors byte for byte.
"""
import os
import sys

import torch
from safetensors import safe_open
from safetensors.torch import load_file, save_file

# One metadata key only: the reference keeps metadata in a hash map, so the order of several keys is not fixed.
METADATA = {"format": "pt"}


def f32_f64():
    return {
        "fc.weight": torch.tensor([[0.5, -1.0, 2.0], [0.25, 3.0, -4.0]], dtype=torch.float32),
        "fc.bias": torch.tensor([0.125, -0.75], dtype=torch.float32),
        "step": torch.tensor(3.0, dtype=torch.float64),
        "empty": torch.zeros((0, 4), dtype=torch.float32),
    }


def half():
    return {
        "half": torch.tensor([1.0, -2.0, 0.5, 65504.0], dtype=torch.float16),
        "brain": torch.tensor([1.0, -2.5, 3.140625], dtype=torch.bfloat16),
        "plain": torch.tensor([7.0], dtype=torch.float32),
    }


def write(folder):
    os.makedirs(folder, exist_ok=True)
    for name, tensors in (("reference_f32_f64", f32_f64()), ("reference_half", half())):
        path = os.path.join(folder, name + ".safetensors")
        save_file(tensors, path, metadata=METADATA)
        with open(path, "rb") as f:
            data = f.read()
        n = int.from_bytes(data[:8], "little")
        print(f"{path}: {len(data)} bytes, header {n} bytes: {data[8:8 + n].decode()!r}")


def check(paths):
    expected = {**f32_f64(), **half()}
    ok = True
    for path in paths:
        loaded = load_file(path)
        with safe_open(path, framework="pt") as f:
            print(f"{path}: metadata {f.metadata()}")
        for name, tensor in loaded.items():
            want = expected.get(name)
            same = want is not None and want.dtype == tensor.dtype and want.shape == tensor.shape and \
                torch.equal(want, tensor)
            ok &= same
            print(f"  {name}: {tensor.dtype} {tuple(tensor.shape)} {'ok' if same else 'MISMATCH'}")
    return ok


if __name__ == "__main__":
    if len(sys.argv) >= 3 and sys.argv[1] == "write":
        write(sys.argv[2])
    elif len(sys.argv) >= 3 and sys.argv[1] == "check":
        sys.exit(0 if check(sys.argv[2:]) else 1)
    else:
        print(__doc__)
        sys.exit(2)
