#!/usr/bin/env python3
"""capture-seeds.py OUTDIR: captures real ICMP packets made by the Linux
kernel, as a raw IPv4 ICMP socket returns them, for the fuzz corpus
(tests/fuzz/corpus/packet/). Run as root; it makes its own network namespace
(loopback only, deleted afterwards) with iptables REJECT rules, sends echo
requests there with and without IP options, and saves every packet it
receives (echo replies, our own requests, and each unreachable the kernel
sends). Each file is one mode byte (0: parse as is) and the packet."""
import os, socket, struct, subprocess, sys, time

def checksum(b):
    if len(b) % 2: b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while s >> 16: s = (s & 0xffff) + (s >> 16)
    return ~s & 0xffff

def echo(ident, seq, payload):
    h = struct.pack("!BBHHH", 8, 0, 0, ident, seq) + payload
    return h[:2] + struct.pack("!H", checksum(h)) + h[4:]

def child(outdir):
    rejects = ["icmp-net-unreachable", "icmp-host-unreachable", "icmp-proto-unreachable",
               "icmp-port-unreachable", "icmp-net-prohibited", "icmp-host-prohibited", "icmp-admin-prohibited"]
    subprocess.check_call(["ip", "link", "set", "lo", "up"])
    for i, r in enumerate(rejects):
        subprocess.check_call(["iptables", "-A", "INPUT", "-p", "icmp", "--icmp-type", "echo-request",
                               "-d", "127.0.0.%d" % (4 + i), "-j", "REJECT", "--reject-with", r])
    s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)
    s.settimeout(0.2)
    rr = bytes([7, 39, 4]) + bytes(36) + bytes([0])
    ts = bytes([68, 36, 5, 0]) + bytes(32)
    seq = 0
    for opts in (b"", rr, ts):
        s.setsockopt(socket.IPPROTO_IP, socket.IP_OPTIONS, opts)
        for last in [1, 2] + list(range(4, 4 + len(rejects))):
            for size in (0, 32, 200):
                seq += 1
                s.sendto(echo(0x4242, seq, bytes((seq + i) & 255 for i in range(size))), ("127.0.0.%d" % last, 0))
    n = 0
    try:
        while True:
            pkt = s.recv(70000)
            with open(os.path.join(outdir, "kernel-%03d" % n), "wb") as f:
                f.write(b"\0" + pkt)
            n += 1
    except socket.timeout:
        pass
    print("captured %d packets" % n)

if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--child":
        child(sys.argv[2]); sys.exit(0)
    out = os.path.abspath(sys.argv[1])
    os.makedirs(out, exist_ok=True)
    ns = "icmpseed-%d" % os.getpid()
    subprocess.check_call(["ip", "netns", "add", ns])
    try:
        subprocess.check_call(["ip", "netns", "exec", ns, sys.executable, os.path.abspath(__file__), "--child", out])
    finally:
        subprocess.call(["ip", "netns", "del", ns])
