#!/usr/bin/env bash
# The pipe benchmark (bench/Pipeline.Benchmarks, Ports/Pipes/PipeBenchmarks) beside its C model, pipebench.c
# from the shared reference bench, in one run on one machine: the machines are shared and noisy, so the
# figure to read is the ratio C# Mpps / C Mpps, not either number alone.
#
# Usage: bench/run-pipe-bench.sh [extra BenchmarkDotNet arguments, e.g. --iterationCount 20]
# Env:   REFERENCE_BENCH   the reference bench folder (default: ../shared/reference-bench beside the repo)
#        PIPEBENCH_PACKETS packets per C run (default 100000000; a multiple of 256)
# Needs: the .NET SDK, gcc, python3. Nothing from the reference bench is copied into the repo: pipebench is
# built into a temporary folder under /tmp and removed on exit.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
REFERENCE_BENCH=${REFERENCE_BENCH:-$ROOT/../shared/reference-bench}
PACKETS=${PIPEBENCH_PACKETS:-100000000}
if [ ! -f "$REFERENCE_BENCH/pipebench.c" ]; then
  echo "run-pipe-bench: no pipebench.c in REFERENCE_BENCH=$REFERENCE_BENCH" >&2
  exit 2
fi

cd "$ROOT"
REPORT=BenchmarkDotNet.Artifacts/results/Pipeline.Benchmarks.Ports.Pipes.PipeBenchmarks-report.csv
rm -f "$REPORT" # never read a previous run's figures

# (a) C#: BenchmarkDotNet, the job from bench/Pipeline.Benchmarks/Configurations/BenchConfig.cs.
dotnet run -c Release --project bench/Pipeline.Benchmarks -- --filter '*PipeBenchmarks*' "$@"
if [ ! -f "$REPORT" ]; then
  echo "run-pipe-bench: BenchmarkDotNet wrote no $REPORT" >&2
  exit 1
fi

# (b) C: the 1-thread cases of pipe.sh, once each, with fewer packets (pipe.sh runs 300M, 3 times).
BIN=$(mktemp -d /tmp/pipebench.XXXXXX)
trap 'rm -rf "$BIN"' EXIT
gcc -O2 -march=native -Wall -Wextra -pthread -o "$BIN/pipebench" "$REFERENCE_BENCH/pipebench.c"
C_RESULTS="$BIN/c-results.tsv"
c_case() { # key, pipebench args...; pipebench prints "... packets seconds Mpps checksum"
  local key=$1
  shift
  local line
  line=$("$BIN/pipebench" "$@")
  printf '%s\t%s\t%s\n' "$key" "$(awk '{print $(NF-1)}' <<<"$line")" "pipebench $*" >>"$C_RESULTS"
}
echo
echo "C model (pipebench.c, $PACKETS packets per case)..."
# Like for like: the C# arena lays buffers out at a 2112-byte stride, so the C model runs at -s 2112 too.
# The 2048-byte case is printed for reference only (on some hosts it aliases in the caches and crawls).
c_case swap-b32 -t 1 -b 32 -s 2112 -n "$PACKETS"
c_case swap-b256 -t 1 -b 256 -s 2112 -n "$PACKETS"
c_case vlan-b32 -t 1 -b 32 -m vlan -s 2112 -n "$PACKETS"
c_case vlan-b256 -t 1 -b 256 -m vlan -s 2112 -n "$PACKETS"
c_case swap-b32-s2048 -t 1 -b 32 -n "$PACKETS"

python3 - "$REPORT" "$C_RESULTS" <<'PY'
import csv
import sys

report, c_results = sys.argv[1], sys.argv[2]
units = {"B": 1, "KB": 1024, "MB": 1024**2, "GB": 1024**3}


def allocated_bytes(text):
    text = text.strip()
    if text in ("", "-", "NA"):
        return 0.0
    value, unit = text.replace(",", "").split()
    return float(value) * units[unit]


cs = {}
with open(report, newline="") as f:
    for row in csv.DictReader(f):
        cs[(row["Method"], int(row["Batch"]))] = (float(row["Mpps"]), allocated_bytes(row["Allocated"]))

c = {}
with open(c_results) as f:
    for line in f:
        key, mpps, cmd = line.rstrip("\n").split("\t")
        c[key] = (float(mpps), cmd)

print()
print("C# (BenchmarkDotNet, per packet)")
print(f"  {'case':<34} {'Mpps':>8} {'allocated B/op':>15}")
for (method, batch), (mpps, alloc) in sorted(cs.items()):
    print(f"  {f'{method}(Batch: {batch})':<34} {mpps:>8.2f} {alloc:>15g}")

print()
print("C model (pipebench.c)")
for key, (mpps, cmd) in c.items():
    print(f"  {cmd:<58} {mpps:>8.2f} Mpps")

# Both sides at a 2112-byte buffer stride (the C# arena's default).
pairs = [
    ("PipeSwap", 32, "swap-b32"),
    ("PipeSwap", 256, "swap-b256"),
    ("PipeSwapVlan", 32, "vlan-b32"),
    ("PipeSwapVlan", 256, "vlan-b256"),
]
print()
print("Ratio C# Mpps / C Mpps")
for method, batch, key in pairs:
    if (method, batch) in cs and key in c:
        mine, theirs = cs[(method, batch)][0], c[key][0]
        print(f"  {f'{method}(Batch: {batch})':<28} / {c[key][1]:<48} {mine / theirs:6.2f}  ({mine:.2f} / {theirs:.2f})")
PY
