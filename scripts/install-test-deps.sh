#!/usr/bin/env bash
# Installs the tools the tests drive from outside the process: iproute2 (namespaces, veths, TAPs for the
# Linux backend tests), tcpreplay (sends frames onto a veth), tcpdump (captures what the backends send),
# tshark (checks the pcap files we write and the checksums pipelines send), ping and ethtool (hosts in
# namespaces ping across a pipeline, with TSO off on their veths) and python3-scapy (for crafting frames by
# hand when debugging the backends; it brings /usr/bin/python3, which the TCP transfer test runs on both
# ends). Debian 12 package names.
# Idempotent and quiet: a tool already present is skipped, and nothing is fetched when all are there.
set -euo pipefail

# command-or-probe → package
declare -A probes=(
  [ip]=iproute2
  [tcpreplay]=tcpreplay
  [tcpdump]=tcpdump
  [tshark]=tshark
  [ping]=iputils-ping
  [ethtool]=ethtool
)

missing=()
for cmd in "${!probes[@]}"; do
  command -v "$cmd" >/dev/null 2>&1 || [ -x "/usr/sbin/$cmd" ] || [ -x "/sbin/$cmd" ] || missing+=("${probes[$cmd]}")
done
# scapy is imported by /usr/bin/python3 (the system interpreter, not a pyenv or venv one).
if ! /usr/bin/python3 -c 'import scapy' >/dev/null 2>&1; then
  missing+=(python3-scapy)
fi

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
  echo "install-test-deps: missing ${missing[*]}; run this script as root to install them" >&2
  exit 1
fi

export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# tshark asks whether non-root users may capture; the default (no) is fine.
echo "wireshark-common wireshark-common/install-setuid boolean false" | debconf-set-selections
# debconf's "delaying package configuration" notice is noise; real errors still reach stderr.
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null 2> >(grep -v '^debconf: ' >&2)
