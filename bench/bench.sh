#!/usr/bin/env bash
# `pipeline bench` from a Release build: end-to-end throughput of the named scenarios (pipe, vale, pipeline-3,
# pipeline-8, afpacket) or the scaling sweeps. Every argument goes to `pipeline bench`; see `bench.sh --help`.
#
#   bench/bench.sh                          every scenario at 64 and 1500 bytes (about 40 s; afpacket needs root)
#   sudo bench/bench.sh afpacket            forwarding between veth pairs in namespaces it makes and removes
#   bench/bench.sh pipe vale --quick        a quick look at two scenarios
#   bench/bench.sh pipeline-3 --rounds 5 --format csv
#   bench/bench.sh --sweep all              Mpps versus batch, stages and size into bench/results/ (about 5 min)
#
# Env: BENCH_NO_BUILD=1 skips the build (use the last Release build).
# Progress goes to standard error, results to standard output. Run it from anywhere; sweeps land in
# bench/results/ of this checkout unless --out says otherwise.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
if [ "${BENCH_NO_BUILD:-0}" != 1 ]; then
  dotnet build src/Pipeline.Cli -c Release -v q -nologo >&2
fi
exec dotnet src/Pipeline.Cli/bin/Release/net10.0/Pipeline.Cli.dll bench "$@"
