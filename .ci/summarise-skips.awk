# Summarises test output: passes it through, but a test skipped because its device is absent or not selected
# (TestDevices' reason "DEVICE: why") is counted instead of printed; at the end comes one line per device and reason
# with the count. Reads both MTP's block ("skipped NAME" / "  REASON" / "  from ...", from `dotnet test`) and the xunit
# runner's ("NAME [SKIP]" / "  REASON", from running the test assembly). Used by .ci/run and scripts/test.sh.
function flush() { if (held != "") print held; held = "" }
held != "" {
  if (match($0, /^[[:space:]]+(cpu|cpu-ilgpu|opencl|cuda): /)) {
    line = $0; sub(/^[[:space:]]+/, "", line)
    n[line]++; if (!(line in order)) { order[line] = ++keys; names[keys] = line }
    held = ""; swallow_from = mtp; next
  }
  print held; held = ""; swallow_from = 0; print; next
}
swallow_from && /^[[:space:]]+from / { swallow_from = 0; next }
{ swallow_from = 0 }
/^skipped / { held = $0; mtp = 1; next }
/\[SKIP\]$/ { held = $0; mtp = 0; next }
{ print }
END {
  flush()
  for (k = 1; k <= keys; k++) {
    line = names[k]; device = line; sub(/: .*/, "", device); why = line; sub(/^[^:]*: /, "", why)
    printf "skipped on %s: %d test%s (%s)\n", device, n[line], n[line] == 1 ? "" : "s", why
  }
}
