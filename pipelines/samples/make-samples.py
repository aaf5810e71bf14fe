#!/usr/bin/env python3
"""Writes the sample captures in this folder: mixed.pcap and jumbo.pcap.

Deterministic (fixed addresses, ports, ids and timestamps): running it again gives the same bytes.
Only the standard library: every header is built with struct, every checksum computed here.

    python3 pipelines/samples/make-samples.py        # writes next to this script
    tshark -r pipelines/samples/mixed.pcap           # check: no warnings, no malformed packets
"""

import os
import struct

BASE_TIME = 1_704_067_200  # 2024-01-01T00:00:00Z

# Hosts: distinct locally administered MACs.
MAC_A = bytes.fromhex("020000000001")        # 10.0.0.1, 2001:db8::1
MAC_B = bytes.fromhex("020000000002")        # 10.0.0.2
MAC_GW = bytes.fromhex("0200000000fe")       # 10.0.0.254, the gateway to everything else
MAC_V100 = bytes.fromhex("020000000105")     # 10.0.100.5 on VLAN 100
MAC_V100_GW = bytes.fromhex("020000000101")  # 10.0.100.1 on VLAN 100 (DNS server)
MAC_V200 = bytes.fromhex("020000000205")     # 10.0.200.5 on VLAN 200
MAC_V200_GW = bytes.fromhex("020000000201")  # 10.0.200.1 on VLAN 200
BROADCAST = b"\xff" * 6
MAC_MDNS6 = bytes.fromhex("3333000000fb")
MAC_INNER_1 = bytes.fromhex("020000010001")  # 10.1.0.1 inside VXLAN 42
MAC_INNER_2 = bytes.fromhex("020000010002")  # 10.1.0.2 inside VXLAN 42


def ip4(text):
    return bytes(int(x) for x in text.split("."))


def ip6(text):
    head, _, tail = text.partition("::")
    h = [int(x, 16) for x in head.split(":") if x]
    t = [int(x, 16) for x in tail.split(":") if x]
    words = h + [0] * (8 - len(h) - len(t)) + t
    return struct.pack("!8H", *words)


def checksum(data):
    if len(data) % 2:
        data += b"\0"
    total = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF


def ethernet(dst, src, ethertype, payload, vlan=None):
    if vlan is None:
        return dst + src + struct.pack("!H", ethertype) + payload
    return dst + src + struct.pack("!HHH", 0x8100, vlan, ethertype) + payload


_ip_id = [0x1000]


def ipv4(src, dst, proto, payload, ttl=64, df=True):
    _ip_id[0] += 1
    header = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(payload), _ip_id[0],
                         0x4000 if df else 0, ttl, proto, 0, ip4(src), ip4(dst))
    header = header[:10] + struct.pack("!H", checksum(header)) + header[12:]
    return header + payload


def ipv6(src, dst, next_header, payload, hop_limit=64):
    return struct.pack("!IHBB16s16s", 0x60000000, len(payload), next_header, hop_limit, ip6(src), ip6(dst)) + payload


def l4_checksum(pseudo, segment):
    value = checksum(pseudo + segment)
    return 0xFFFF if value == 0 else value


def udp4(src, dst, sport, dport, payload):
    seg = struct.pack("!HHHH", sport, dport, 8 + len(payload), 0) + payload
    pseudo = ip4(src) + ip4(dst) + struct.pack("!BBH", 0, 17, len(seg))
    seg = seg[:6] + struct.pack("!H", l4_checksum(pseudo, seg)) + seg[8:]
    return ipv4(src, dst, 17, seg)


def udp6(src, dst, sport, dport, payload, hop_limit=64):
    seg = struct.pack("!HHHH", sport, dport, 8 + len(payload), 0) + payload
    pseudo = ip6(src) + ip6(dst) + struct.pack("!IxxxB", len(seg), 17)
    seg = seg[:6] + struct.pack("!H", l4_checksum(pseudo, seg)) + seg[8:]
    return ipv6(src, dst, 17, seg, hop_limit)


SYN, ACK, PSH, FIN = 0x02, 0x10, 0x08, 0x01


def tcp4(src, dst, sport, dport, seq, ack, flags, payload=b"", window=64240):
    options = struct.pack("!BBH", 2, 4, 1460) if flags & SYN else b""  # MSS on SYNs
    offset = (20 + len(options)) // 4
    seg = struct.pack("!HHIIBBHHH", sport, dport, seq, ack, offset << 4, flags, window, 0, 0) + options + payload
    pseudo = ip4(src) + ip4(dst) + struct.pack("!BBH", 0, 6, len(seg))
    seg = seg[:16] + struct.pack("!H", checksum(pseudo + seg)) + seg[18:]
    return ipv4(src, dst, 6, seg)


def icmp4_echo(src, dst, kind, ident, seq, data):
    msg = struct.pack("!BBHHH", kind, 0, 0, ident, seq) + data
    msg = msg[:2] + struct.pack("!H", checksum(msg)) + msg[4:]
    return ipv4(src, dst, 1, msg)


def arp(op, sha, spa, tha, tpa):
    return struct.pack("!HHBBH6s4s6s4s", 1, 0x0800, 6, 4, op, sha, ip4(spa), tha, ip4(tpa))


def dns_name(name):
    out = b""
    for label in name.split("."):
        out += bytes([len(label)]) + label.encode()
    return out + b"\0"


def dns_query(ident, name, qtype):
    return struct.pack("!HHHHHH", ident, 0x0100, 1, 0, 0, 0) + dns_name(name) + struct.pack("!HH", qtype, 1)


def dns_answer_a(ident, name, address):
    question = dns_name(name) + struct.pack("!HH", 1, 1)
    answer = struct.pack("!HHHIH", 0xC00C, 1, 1, 300, 4) + ip4(address)
    return struct.pack("!HHHHHH", ident, 0x8180, 1, 1, 0, 0) + question + answer


def vxlan(vni, inner_frame):
    return struct.pack("!BxxxI", 0x08, vni << 8) + inner_frame


def mdns_query(name, qtype):
    return struct.pack("!HHHHHH", 0, 0, 1, 0, 0, 0) + dns_name(name) + struct.pack("!HH", qtype, 1)


def ntp_client(transmit_seconds):
    # LI 0, version 4, mode 3 (client); transmit timestamp in NTP era 0.
    return struct.pack("!BBbbII4sQQQQ", 0x23, 0, 6, -20, 0, 0, b"\0\0\0\0", 0, 0, 0,
                       (transmit_seconds + 2_208_988_800) << 32)


def mixed():
    a, b, gw = "10.0.0.1", "10.0.0.2", "10.0.0.254"
    dns1, dns2, web, tls = "8.8.8.8", "8.8.4.4", "192.0.2.80", "192.0.2.43"
    get = b"GET / HTTP/1.1\r\nHost: example.com\r\nUser-Agent: make-samples\r\n\r\n"
    ok = b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 5\r\n\r\nhello"
    c_isn, s_isn = 1_000, 5_000
    t_isn, u_isn = 77_000, 99_000
    frames = [
        ethernet(BROADCAST, MAC_A, 0x0806, arp(1, MAC_A, a, b"\0" * 6, gw)),
        ethernet(MAC_A, MAC_GW, 0x0806, arp(2, MAC_GW, gw, MAC_A, a)),
        ethernet(MAC_GW, MAC_A, 0x0800, udp4(a, dns1, 40001, 53, dns_query(0x1a2b, "example.com", 1))),
        ethernet(MAC_A, MAC_GW, 0x0800, udp4(dns1, a, 53, 40001, dns_answer_a(0x1a2b, "example.com", "93.184.216.34"))),
        ethernet(MAC_GW, MAC_B, 0x0800, udp4(b, dns2, 40002, 53, dns_query(0x3c4d, "example.org", 28))),
        ethernet(MAC_GW, MAC_A, 0x0800, tcp4(a, web, 50000, 80, c_isn, 0, SYN)),
        ethernet(MAC_A, MAC_GW, 0x0800, tcp4(web, a, 80, 50000, s_isn, c_isn + 1, SYN | ACK)),
        ethernet(MAC_GW, MAC_A, 0x0800, tcp4(a, web, 50000, 80, c_isn + 1, s_isn + 1, ACK)),
        ethernet(MAC_GW, MAC_A, 0x0800, tcp4(a, web, 50000, 80, c_isn + 1, s_isn + 1, PSH | ACK, get)),
        ethernet(MAC_A, MAC_GW, 0x0800, tcp4(web, a, 80, 50000, s_isn + 1, c_isn + 1 + len(get), PSH | ACK, ok)),
        ethernet(MAC_GW, MAC_A, 0x0800, tcp4(a, web, 50000, 80, c_isn + 1 + len(get), s_isn + 1 + len(ok), FIN | ACK)),
        ethernet(MAC_A, MAC_GW, 0x0800, tcp4(web, a, 80, 50000, s_isn + 1 + len(ok), c_isn + 2 + len(get), FIN | ACK)),
        ethernet(MAC_GW, MAC_A, 0x0800, tcp4(a, web, 50000, 80, c_isn + 2 + len(get), s_isn + 2 + len(ok), ACK)),
        ethernet(MAC_GW, MAC_B, 0x0800, tcp4(b, tls, 50001, 443, t_isn, 0, SYN)),
        ethernet(MAC_B, MAC_GW, 0x0800, tcp4(tls, b, 443, 50001, u_isn, t_isn + 1, SYN | ACK)),
        ethernet(MAC_GW, MAC_B, 0x0800, tcp4(b, tls, 50001, 443, t_isn + 1, u_isn + 1, ACK)),
        ethernet(MAC_GW, MAC_B, 0x0800, tcp4(b, tls, 50001, 443, t_isn + 1, u_isn + 1, FIN | ACK)),
        ethernet(MAC_B, MAC_A, 0x0800, udp4(a, b, 5000, 9999, b"hello over udp")),
        ethernet(MAC_GW, MAC_A, 0x0800, udp4(a, "192.0.2.123", 40123, 123, ntp_client(BASE_TIME))),
        ethernet(MAC_GW, MAC_B, 0x0800, udp4(b, "192.0.2.14", 40514, 514, b"<13>Jan  1 00:00:01 host sample: hello")),
        ethernet(MAC_GW, MAC_A, 0x0800, icmp4_echo(a, gw, 8, 0x4242, 1, bytes(range(32)))),
        ethernet(MAC_A, MAC_GW, 0x0800, icmp4_echo(gw, a, 0, 0x4242, 1, bytes(range(32)))),
        ethernet(MAC_V100_GW, MAC_V100, 0x0800,
                 udp4("10.0.100.5", "10.0.100.1", 40100, 53, dns_query(0x5e6f, "vlan.example", 1)), vlan=100),
        ethernet(MAC_V200_GW, MAC_V200, 0x0800,
                 tcp4("10.0.200.5", "10.0.200.1", 50200, 80, 31_000, 0, SYN), vlan=200),
        ethernet(MAC_GW, MAC_A, 0x86DD,
                 udp6("2001:db8::1", "2001:db8::53", 40006, 53, dns_query(0x7a8b, "example.net", 28))),
        ethernet(MAC_MDNS6, MAC_B, 0x86DD,
                 udp6("fe80::2", "ff02::fb", 5353, 5353, mdns_query("printer.local", 28), hop_limit=255)),
        ethernet(MAC_GW, MAC_A, 0x0800, udp4(a, dns1, 40003, 53, dns_query(0x9cad, "netmap.example", 1))),
        ethernet(MAC_GW, MAC_B, 0x0800, udp4(b, "192.0.2.99", 40004, 4789, vxlan(42, ethernet(
            MAC_INNER_2, MAC_INNER_1, 0x0800, udp4("10.1.0.1", "10.1.0.2", 6000, 9999, b"inside vxlan 42"))))),
    ]
    return frames


def jumbo():
    frames = []
    for i, size in enumerate((3000, 4096, 6000, 9000)):
        payload_len = size - 14 - 20 - 8
        payload = bytes((i + j) % 251 for j in range(payload_len))
        frames.append(ethernet(MAC_B, MAC_A, 0x0800, udp4("10.0.0.1", "10.0.0.2", 7000, 7001, payload)))
    return frames


def write_pcap(path, frames, step_us):
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 262144, 1))
        for i, frame in enumerate(frames):
            micros = i * step_us + (i * 37) % 1000
            f.write(struct.pack("<IIII", BASE_TIME + micros // 1_000_000, micros % 1_000_000, len(frame), len(frame)))
            f.write(frame)


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    write_pcap(os.path.join(here, "mixed.pcap"), mixed(), step_us=1_000)
    write_pcap(os.path.join(here, "jumbo.pcap"), jumbo(), step_us=10_000)


if __name__ == "__main__":
    main()
