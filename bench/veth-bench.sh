#!/usr/bin/env bash
# AF_PACKET forwarding between two veth pairs: the pipeline against the Linux bridge (and DPDK testpmd with two
# net_af_packet ports, when installed), side by side in one run over the same veths, reported as ratios.
#
#   vbench-gen: g0 ─veth─ f0 ┐ vbench-fwd: the forwarder ┌ f1 ─veth─ s0 :vbench-sink
#                            └─ pipeline | bridge | testpmd ┘
#
# trafgen (netsniff-ng) sends 64-byte frames (dst 02:00:00:00:00:02, src 02:00:00:00:00:01, EtherType 0x88B5,
# local experimental) from g0 as fast as it can, its one worker on CPU 0; the forwarder moves them from f0 to f1;
# the rate is what s0 receives (/sys/class/net/s0/statistics/rx_packets), sampled over MEASURE seconds after WARM
# seconds. No IP address exists anywhere and every frame stays inside the three namespaces, which are removed on
# exit (also on failure or Ctrl-C). Same topology, frames and generator as shared/reference-bench/veth.sh.
#
# Cases, interleaved (pipeline, bridge, testpmd, pipeline, ...) so drift on a shared machine hits all alike:
#   pipeline  pipeline run of a two-port YAML (netmap:f0 -> netmap:f1, both `netns: vbench-fwd` and
#             `thread: dedicated`), the Release build
#   bridge    a Linux bridge br0 over f0 and f1 with a static FDB entry for the sink (softirq on the sender's CPU)
#   testpmd   dpdk-testpmd io forwarding between net_af_packet ports on f0 and f1, forwarding core CPU 1 (skipped
#             when dpdk-testpmd or its af_packet driver is missing)
#
# Usage: sudo bench/veth-bench.sh [MEASURE_S] [REPEATS]     (defaults 5 and 3; root; iproute2, netsniff-ng)
#   CASES="pipeline bridge" selects cases; PIPELINE overrides the pipeline command (default: the Release build);
#   PORT_KEYS (default "thread: dedicated") are the pipeline ports' keys; PIPELINE_CPUS the CPUs the pipeline
#   process may run on (default: any; with two cores, pinning it to CPU 1 left both port threads on one core and
#   measured no better, nor did sync: busy-poll).
# Output: one line per case (median Mpps, min-max, runs), then each ratio pipeline / other.
set -uo pipefail
cd "$(dirname "$0")/.."
MEAS=${1:-5}
REP=${2:-3}
WARM=2
NS_GEN=vbench-gen NS_FWD=vbench-fwd NS_SINK=vbench-sink
PKT='{ 0x02,0x00,0x00,0x00,0x00,0x02, 0x02,0x00,0x00,0x00,0x00,0x01, c16(0x88b5), fill(0x00, 50) }'
WORK=$(mktemp -d /tmp/veth-bench.XXXXXX)
PIDS=()

die() { echo "veth-bench: $*" >&2; exit 1; }
[ "$(id -u)" -eq 0 ] || die "run as root (it creates network namespaces and veths)"
for tool in ip taskset python3; do command -v "$tool" >/dev/null || die "needs '$tool'"; done
if ! command -v trafgen >/dev/null; then
  echo "veth-bench: installing netsniff-ng (trafgen)" >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends netsniff-ng >/dev/null \
    || die "needs trafgen: apt-get install netsniff-ng"
fi
for ns in $NS_GEN $NS_FWD $NS_SINK; do
  [ -e "/var/run/netns/$ns" ] && die "namespace $ns exists already (another run?); remove it with: ip netns del $ns"
done

CASES=${CASES:-pipeline bridge testpmd}
if [[ " $CASES " == *" testpmd "* ]] && ! { command -v dpdk-testpmd >/dev/null && ls /usr/lib/*/dpdk/pmds-*/librte_net_af_packet.so* >/dev/null 2>&1; }; then
  echo "veth-bench: no dpdk-testpmd with the af_packet driver (Debian: dpdk, librte-net-af-packet23); skipping testpmd" >&2
  CASES=${CASES//testpmd/}
fi

stop_all() {
  for p in "${PIDS[@]}"; do kill -INT "$p" 2>/dev/null; done
  for p in "${PIDS[@]}"; do
    for _ in $(seq 1 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$p" 2>/dev/null; wait "$p" 2>/dev/null
  done
  PIDS=()
}
cleanup() {
  stop_all
  for n in $NS_GEN $NS_FWD $NS_SINK; do ip netns del "$n" 2>/dev/null; done
  return 0
}
# net.core.{w,r}mem_default are copied into a namespace when it is created (and read-only there): trafgen's TX ring
# needs more than the 208 KiB default (see shared/reference-bench/veth.sh). Raised for the run, restored on exit.
SAVED_SYSCTL=$(sysctl -n net.core.wmem_default net.core.rmem_default | tr '\n' ' ')
sysctl -qw net.core.wmem_default=4194304 net.core.rmem_default=4194304
restore() {
  cleanup
  # shellcheck disable=SC2086
  set -- $SAVED_SYSCTL
  sysctl -qw net.core.wmem_default="$1" net.core.rmem_default="$2"
  rm -rf "$WORK"
}
trap restore EXIT
trap 'exit 130' INT TERM

topo() {
  cleanup
  for n in $NS_GEN $NS_FWD $NS_SINK; do
    ip netns add "$n"
    ip netns exec "$n" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
    ip -n "$n" link set lo up
  done
  ip link add g0 netns $NS_GEN address 02:00:00:00:00:01 type veth peer name f0 netns $NS_FWD
  ip link add f1 netns $NS_FWD type veth peer name s0 netns $NS_SINK address 02:00:00:00:00:02
  ip -n $NS_GEN link set g0 up; ip -n $NS_FWD link set f0 up; ip -n $NS_FWD link set f1 up; ip -n $NS_SINK link set s0 up
}

rxcount() { ip netns exec $NS_SINK cat /sys/class/net/s0/statistics/rx_packets; }
txcount() { ip netns exec $NS_GEN cat /sys/class/net/g0/statistics/tx_packets; }
start_trafgen() {
  ip netns exec $NS_GEN trafgen -o g0 -P 1 -Q -C "$PKT" >"$WORK/trafgen.log" 2>&1 &
  PIDS+=($!)
}
# After WARM seconds, MEAS seconds of sink RX and generator TX: prints "rx_Mpps tx_Mpps".
measure() {
  sleep "$WARM"
  local r0 t0 s0 r1 t1 s1
  r0=$(rxcount); t0=$(txcount); s0=$(date +%s.%N)
  sleep "$MEAS"
  r1=$(rxcount); t1=$(txcount); s1=$(date +%s.%N)
  python3 -c "d = $s1 - $s0; print('%.4f %.4f' % (($r1 - $r0) / d / 1e6, ($t1 - $t0) / d / 1e6))"
}
# Waits (at most 60 s) until a frame sent from g0 reaches s0: the forwarder is up.
await_forwarder() {
  local before
  before=$(rxcount)
  for _ in $(seq 1 600); do
    ip netns exec $NS_GEN trafgen -o g0 -P 1 -n 1 -q -C "$PKT" >/dev/null 2>&1
    [ "$(rxcount)" -gt "$before" ] && return 0
    sleep 0.1
  done
  return 1
}

if [[ " $CASES " == *" pipeline "* ]] && [ -z "${PIPELINE:-}" ]; then
  echo "veth-bench: building the pipeline command (Release)" >&2
  log=$(dotnet build src/Pipeline.Cli -c Release -v q -nologo 2>&1) || { echo "$log" >&2; exit 1; }
  PIPELINE="dotnet src/Pipeline.Cli/bin/Release/net10.0/Pipeline.Cli.dll"
fi
PORT_KEYS=${PORT_KEYS-thread: dedicated}
PIPELINE_CPUS=${PIPELINE_CPUS-}
cat >"$WORK/forward.yaml" <<EOF
# veth-bench: f0 -> f1, no stage (as testpmd's io forwarding)
name: veth-forward
ports:
  f0: { spec: "netmap:f0", netns: $NS_FWD${PORT_KEYS:+, $PORT_KEYS} }
  f1: { spec: "netmap:f1", netns: $NS_FWD${PORT_KEYS:+, $PORT_KEYS} }
pipes:
  - f0 -> f1
EOF

run_case() { # case → RESULT="rx_Mpps tx_Mpps", or empty when the forwarder did not come up
  RESULT=
  topo
  case $1 in
    pipeline)
      # shellcheck disable=SC2086  # PIPELINE is a command line
      ${PIPELINE_CPUS:+taskset -c $PIPELINE_CPUS} $PIPELINE run "$WORK/forward.yaml" --quiet >"$WORK/pipeline.log" 2>&1 &
      PIDS+=($!) ;;
    bridge)
      ip -n $NS_FWD link add br0 type bridge
      ip -n $NS_FWD link set f0 master br0; ip -n $NS_FWD link set f1 master br0
      ip -n $NS_FWD link set br0 up
      ip netns exec $NS_FWD bridge fdb add 02:00:00:00:00:02 dev f1 master static ;;
    testpmd)
      ip netns exec $NS_FWD dpdk-testpmd -l 0,1 --no-huge -m 1024 --no-pci --file-prefix=vbench \
        --no-telemetry --log-level=lib.eal:error \
        --vdev=net_af_packet0,iface=f0,framecnt=4096,qpairs=1 \
        --vdev=net_af_packet1,iface=f1,framecnt=4096,qpairs=1 -- \
        --auto-start --stats-period=1 --forward-mode=io --burst=32 --nb-cores=1 --rxd=2048 --txd=2048 \
        </dev/null >"$WORK/testpmd.log" 2>&1 &  # with a stats period it runs until a signal (not until stdin ends)
      PIDS+=($!) ;;
  esac
  if ! await_forwarder; then
    echo "veth-bench: the $1 forwarder did not forward within 60 s; its log:" >&2
    cat "$WORK/$1.log" >&2 2>/dev/null
    cleanup
    return
  fi
  start_trafgen
  RESULT=$(measure)
  cleanup
}

declare -A RX TX
for i in $(seq 1 "$REP"); do
  for c in $CASES; do
    run_case "$c"
    [ -n "$RESULT" ] || continue
    read -r r t <<<"$RESULT"
    RX[$c]+="$r "; TX[$c]+="$t "
    printf '  run %d %-9s %s Mpps forwarded (%s offered)\n' "$i" "$c" "$r" "$t" >&2
  done
done

python3 - "$CASES" "$(declare -p RX)" "$(declare -p TX)" <<'PY'
import re, statistics, sys
cases = sys.argv[1].split()
def parse(decl):
    return {k: [float(x) for x in v.split()] for k, v in re.findall(r'\[(\w+)\]="([^"]*)"', decl)}
rx, tx = parse(sys.argv[2]), parse(sys.argv[3])
print("AF_PACKET forwarding between two veth pairs, 64-byte frames, Mpps received at the sink (median, min-max, runs)")
for c in cases:
    if c in rx:
        v = rx[c]
        print(f"  {c:<9} {statistics.median(v):7.3f}  ({min(v):.3f}-{max(v):.3f}, {len(v)} runs; offered {statistics.median(tx[c]):.3f})")
if "pipeline" in rx:
    p = statistics.median(rx["pipeline"])
    for c in cases:
        if c != "pipeline" and c in rx:
            print(f"  ratio pipeline / {c}: {p / statistics.median(rx[c]):.2f}")
PY
