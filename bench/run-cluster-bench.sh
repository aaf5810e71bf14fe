#!/usr/bin/env bash
# Cross-node throughput over loopback (issue 9): two cluster nodes in one process, one cross-node pipe from a
# looped capture to a counter, for 64 B and 1500 B packets; prints Mpps, Gbit/s (frame bytes) and allocated bytes
# per packet as a markdown table. The two nodes share the machine's cores, so the figure is the whole cost of a
# cross-node pipe on one machine (batch copy, serializer, Akka.Remote over TCP, copy into the receiver's ring).
#
# Usage: bench/run-cluster-bench.sh [--sizes 64,1500] [--seconds 5] [--warmup 2] [--window 8] [--slots 2048]
#        bench/run-cluster-bench.sh --quick      (1 s per size: a smoke run)
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "${1:-}" = "--quick" ]; then
  shift
  set -- --seconds 1 --warmup 1 "$@"
fi
dotnet run -c Release --project bench/Pipeline.Cluster.Bench -- "$@"
