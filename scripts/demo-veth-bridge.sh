#!/usr/bin/env bash
# The README's bridge sample, end to end: builds three network namespaces joined by two veth pairs,
#
#   vb-left                vb-bridge                       vb-right
#   left0 10.99.0.1 ─veth─ left1 ⇄ pipeline ⇄ right1 ─veth─ right0 10.99.0.2
#
# runs pipelines/live/veth-bridge.yaml (its ports open left1 and right1 inside vb-bridge) for
# DURATION seconds while pinging from vb-left to vb-right across it, prints the pipeline's table, and
# removes everything again on exit, also on failure or Ctrl-C. Nothing is created in the root namespace
# and no packet leaves the three namespaces.
#
# Usage: sudo scripts/demo-veth-bridge.sh [DURATION]        (default 8 seconds; needs iproute2, ping)
# PIPELINE overrides how the pipeline command is run (default: the built src/Pipeline.Cli).
set -euo pipefail
cd "$(dirname "$0")/.."

DURATION=${1:-8}
NS_LEFT=vb-left NS_BRIDGE=vb-bridge NS_RIGHT=vb-right
PIPELINE_PID=

if [ "$(id -u)" -ne 0 ]; then
  echo "demo-veth-bridge: run as root (it creates network namespaces and veths)" >&2
  exit 1
fi
for tool in ip ping; do
  command -v "$tool" >/dev/null || { echo "demo-veth-bridge: needs '$tool' (scripts/install-test-deps.sh installs it)" >&2; exit 1; }
done
for ns in $NS_LEFT $NS_BRIDGE $NS_RIGHT; do
  if [ -e "/var/run/netns/$ns" ]; then
    echo "demo-veth-bridge: namespace $ns exists already (another run?); remove it with: ip netns del $ns" >&2
    exit 1
  fi
done

cleanup() {
  if [ -n "$PIPELINE_PID" ] && kill -0 "$PIPELINE_PID" 2>/dev/null; then
    kill -INT "$PIPELINE_PID" 2>/dev/null || true
    wait "$PIPELINE_PID" 2>/dev/null || true
  fi
  for ns in $NS_LEFT $NS_BRIDGE $NS_RIGHT; do
    ip netns del "$ns" 2>/dev/null || true
  done
}
trap cleanup EXIT
trap 'exit 130' INT TERM

echo "== namespaces $NS_LEFT, $NS_BRIDGE, $NS_RIGHT and two veth pairs"
for ns in $NS_LEFT $NS_BRIDGE $NS_RIGHT; do
  ip netns add "$ns"
  # No IPv6 autoconfiguration chatter on the demo's links.
  ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
  ip -n "$ns" link set lo up
done
ip link add left0 netns $NS_LEFT type veth peer name left1 netns $NS_BRIDGE
ip link add right0 netns $NS_RIGHT type veth peer name right1 netns $NS_BRIDGE
ip -n $NS_LEFT addr add 10.99.0.1/24 dev left0
ip -n $NS_RIGHT addr add 10.99.0.2/24 dev right0
ip -n $NS_LEFT link set left0 up
ip -n $NS_RIGHT link set right0 up
# The hosts' TCP would hand the veth 64 KiB segments for it to cut (TSO/GSO): an AF_PACKET port sees those as
# frames longer than the MTU and drops them. Off, as netmap asks of a NIC in emulated mode (ping works either way).
if command -v ethtool >/dev/null; then
  ip netns exec $NS_LEFT ethtool -K left0 tso off gso off
  ip netns exec $NS_RIGHT ethtool -K right0 tso off gso off
fi
ip -n $NS_BRIDGE link set left1 up
ip -n $NS_BRIDGE link set right1 up

echo "== without the pipeline, 10.99.0.2 is out of reach"
if ip netns exec $NS_LEFT ping -c 1 -W 1 10.99.0.2 >/dev/null; then
  echo "demo-veth-bridge: 10.99.0.2 answered before the pipeline ran" >&2
  exit 1
fi
echo "   (no answer, as expected)"

if [ -z "${PIPELINE:-}" ]; then
  echo "== building the pipeline command"
  if ! log=$(dotnet build src/Pipeline.Cli -c Release -v q -nologo 2>&1); then
    echo "$log" >&2
    exit 1
  fi
  PIPELINE="dotnet run --project src/Pipeline.Cli -c Release --no-build --"
fi

echo "== pipeline run pipelines/live/veth-bridge.yaml --duration $DURATION"
# shellcheck disable=SC2086  # PIPELINE is a command line
$PIPELINE run pipelines/live/veth-bridge.yaml --duration "$DURATION" --quiet &
PIPELINE_PID=$!

# The ports are open once the first ping gets through (the runtime starts within a few seconds).
for _ in $(seq 1 30); do
  if ip netns exec $NS_LEFT ping -c 1 -W 1 10.99.0.2 >/dev/null; then
    break
  fi
  kill -0 "$PIPELINE_PID" 2>/dev/null || { echo "demo-veth-bridge: the pipeline stopped early" >&2; exit 1; }
done

echo "== ping across the pipeline"
ip netns exec $NS_LEFT ping -c 5 -i 0.2 -W 2 10.99.0.2
wait "$PIPELINE_PID"
PIPELINE_PID=
echo "== done; removing the namespaces"
