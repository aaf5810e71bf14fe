#!/usr/bin/env python3
"""Each bench scenario beside its reference, in one run on one machine: ratios against DESIGN.md's targets.

The machines are shared and noisy (absolute figures drift by 1.5x and more), so a figure is only read as a
ratio taken in the same run: each round runs ours and the reference back to back, alternating which goes
first, and the table shows the medians over the rounds.

  scenario (pipeline bench)        reference (../shared/reference-bench)            target
  pipe, 64 B, batch 32 and 256     pipebench.c -t 1 -b B -s 2112 (C model, swap)    >= 0.7x the C model
  vale, 60 B, batch 32 and 256     pipebench.c -t 1 -b B -x copy -s 2112            >= 20 Mpps and >= 0.4x
  pipeline-3, 64 B, batch-size 256 dpdk-testpmd io, two net_null ports, burst 32    >= 20 Mpps; parity the aim
    (two rows: the runtime's defaults, and --polled --fuse: generator, pipeline and sink on one core)
  afpacket, 64 B (root)            veth.sh testpmd32: trafgen -> veth -> testpmd        >= 1.0x testpmd
                                   af_packet io (burst 32) -> veth, s0's rx counter
    (ours: pipeline bench afpacket, its own AF_PACKET generator on g0, the same topology and count; with the same
    generator for both, sudo bench/veth-bench.sh runs `pipeline run` beside the bridge and testpmd)

Usage: bench/compare.py [--rounds N] [--quick] [--only pipe,vale,pipeline,afpacket] [--ports actor|dedicated|busy-poll]
                        [--no-build] [--install-deps] [--strict]
Env:   REFERENCE_BENCH  the reference bench folder (default: ../shared/reference-bench beside the repo)
Needs: the .NET SDK, gcc, python3; for pipeline-3's reference the Debian packages dpdk-dev and
       librte-net-null23, for afpacket root, iproute2, netsniff-ng (trafgen) and librte-net-af-packet23
       (--install-deps installs the packages with apt-get when they are missing; afpacket is skipped without root).
Nothing from the reference bench is copied into the repo: pipebench is built into a temporary folder under
/tmp and removed on exit.
"""
import argparse
import csv
import io
import os
import shutil
import statistics
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CLI = os.path.join(ROOT, "src", "Pipeline.Cli", "bin", "Release", "net10.0", "Pipeline.Cli.dll")


def log(text):
    print(text, file=sys.stderr, flush=True)


def run(cmd, **kwargs):
    return subprocess.run(cmd, check=True, text=True, capture_output=True, **kwargs).stdout


class Ours:
    """One `pipeline bench` case; returns (Mpps, allocated bytes per packet)."""

    def __init__(self, args, timing):
        self.args = args
        self.timing = timing

    def describe(self):
        return "pipeline bench " + " ".join(self.args)

    def measure(self):
        out = run(["dotnet", CLI, "bench", *self.args, "--format", "csv", *self.timing], cwd=ROOT)
        row = next(csv.DictReader(io.StringIO(out)))
        if row["status"] != "ok":
            raise RuntimeError(f"{self.describe()}: {row['status']}: {row['note']}")
        return float(row["mpps"]), float(row["alloc_bytes_per_packet"])


class PipeBench:
    """pipebench.c; prints '... packets seconds Mpps checksum'."""

    def __init__(self, binary, args):
        self.binary = binary
        self.args = args

    def describe(self):
        return "pipebench " + " ".join(self.args)

    def measure(self):
        return float(run([self.binary, *self.args]).split()[-2]), None


class TestPmd:
    """dpdk-testpmd io forwarding between two net_null ports on one core, as the reference's testpmd.sh."""

    def __init__(self, reference, seconds, burst):
        self.parser = os.path.join(reference, "lib", "testpmd_pps.py")
        self.seconds = seconds
        self.burst = burst

    def describe(self):
        return f"dpdk-testpmd io net_null x2 burst {self.burst}"

    def measure(self):
        cmd = ["timeout", "-s", "INT", str(self.seconds), "dpdk-testpmd", "-l", "0,1", "--no-huge", "-m", "1024",
               "--no-pci", f"--file-prefix=compare{os.getpid()}", "--no-telemetry", "--log-level=lib.eal:error",
               "--vdev=net_null0,size=64", "--vdev=net_null1,size=64", "--",
               "--auto-start", "--stats-period=1", "--forward-mode=io", f"--burst={self.burst}", "--nb-cores=1"]
        out = subprocess.run(cmd, text=True, capture_output=True, stdin=subprocess.DEVNULL).stdout
        pps = subprocess.run([sys.executable, self.parser, "2"], input=out, text=True, capture_output=True)
        if pps.returncode != 0:
            raise RuntimeError(f"{self.describe()}: no steady Tx-pps in its output:\n{out[-2000:]}")
        return float(pps.stdout.strip()), None


class VethTestPmd:
    """The reference bench's veth.sh, case testpmd32: trafgen on g0, testpmd af_packet io between f0 and f1, s0's RX."""

    def __init__(self, reference, seconds):
        self.script = os.path.join(reference, "veth.sh")
        self.seconds = seconds

    def describe(self):
        return "veth.sh testpmd32 (trafgen, dpdk-testpmd af_packet io burst 32)"

    def measure(self):
        out = subprocess.run(["bash", self.script, str(self.seconds), "1"], env=dict(os.environ, CASES="testpmd32"),
                             text=True, capture_output=True, stdin=subprocess.DEVNULL).stdout
        for line in out.splitlines():
            if "forwarded (s0 rx)" in line:
                value = line.split(")", 1)[1].split()[0]
                if value != "nan":
                    return float(value), None
        raise RuntimeError(f"{self.describe()}: no forwarded rate in its output:\n{out[-2000:]}")


def af_packet_pmd():
    return any(f.startswith("librte_net_af_packet") for _, _, fs in os.walk("/usr/lib") for f in fs)


def missing_packages():
    """The DPDK and trafgen packages the references need that are not installed."""
    missing = [] if shutil.which("dpdk-testpmd") else ["dpdk-dev", "librte-net-null23"]
    if not af_packet_pmd():
        missing.append("librte-net-af-packet23")
    if not shutil.which("trafgen"):
        missing.append("netsniff-ng")
    return missing


def install_packages(packages):
    """apt-get installs them (root); returns an error text or None."""
    if os.geteuid() != 0:
        return "--install-deps needs root"
    log("compare: installing " + " ".join(packages) + " ...")
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    for cmd in (["apt-get", "update", "-qq"], ["apt-get", "install", "-y", "-qq", *packages]):
        done = subprocess.run(cmd, env=env, text=True, capture_output=True)
        if done.returncode != 0:
            return f"apt-get could not install {' '.join(packages)} here: {done.stderr.strip()[-500:]}"
    return None


def testpmd_available():
    if shutil.which("dpdk-testpmd"):
        return True, None
    return False, ("dpdk-testpmd is not installed (Debian: apt-get install dpdk-dev librte-net-null23; "
                   "or run this script with --install-deps as root)")


def afpacket_available():
    if os.geteuid() != 0:
        return False, "needs root (namespaces and veths): sudo python3 bench/compare.py --only afpacket"
    if not shutil.which("dpdk-testpmd") or not af_packet_pmd():
        return False, "dpdk-testpmd with its af_packet driver is not installed (apt-get install librte-net-af-packet23)"
    if not shutil.which("trafgen"):
        return False, "trafgen is not installed (apt-get install netsniff-ng)"
    return True, None


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=3, help="rounds per pair, alternating which runs first (default 3)")
    parser.add_argument("--quick", action="store_true", help="short runs: a look, not figures to quote")
    parser.add_argument("--only", default="pipe,vale,pipeline,afpacket",
                        help="comma-separated: pipe, vale, pipeline, afpacket (default all; afpacket needs root)")
    parser.add_argument("--no-build", action="store_true", help="use the last Release build of the CLI")
    parser.add_argument("--install-deps", action="store_true", help="apt-get install the DPDK packages if missing (root)")
    parser.add_argument("--strict", action="store_true", help="exit 1 when a case is below its target")
    parser.add_argument("--ports", default="actor", choices=["actor", "dedicated", "busy-poll"],
                        help="how pipeline-3's ports are driven (pipeline bench --ports; default actor, the runtime's default)")
    options = parser.parse_args()
    if options.rounds < 1:
        parser.error("--rounds must be at least 1")
    only = set(options.only.split(","))
    unknown = only - {"pipe", "vale", "pipeline", "afpacket"}
    if unknown:
        parser.error(f"--only: unknown {', '.join(sorted(unknown))} (pipe, vale, pipeline, afpacket)")

    reference = os.environ.get("REFERENCE_BENCH", os.path.join(ROOT, "..", "shared", "reference-bench"))
    if not os.path.isfile(os.path.join(reference, "pipebench.c")):
        log(f"compare: no pipebench.c in REFERENCE_BENCH={reference}")
        return 2

    if not options.no_build:
        log("compare: building the CLI (Release) ...")
        subprocess.run(["dotnet", "build", "src/Pipeline.Cli", "-c", "Release", "-v", "q", "-nologo"], cwd=ROOT, check=True,
                       stdout=sys.stderr)

    if options.install_deps and missing_packages():
        error = install_packages(missing_packages())
        if error:
            log(f"compare: {error}")

    timing = ["--quick"] if options.quick else []
    packets = "20000000" if options.quick else "100000000"
    testpmd_seconds = 5 if options.quick else 8
    with tempfile.TemporaryDirectory(prefix="compare.", dir="/tmp") as tmp:
        pipebench = os.path.join(tmp, "pipebench")
        run(["gcc", "-O2", "-march=native", "-Wall", "-Wextra", "-pthread", "-o", pipebench,
             os.path.join(reference, "pipebench.c")])

        # (name, ours, reference or None, target ratio or None, target Mpps or None, why no reference)
        pairs = []
        if "pipe" in only:
            for batch in (32, 256):
                pairs.append((f"pipe 64 B batch {batch}",
                              Ours(["pipe", "--size", "64", "--batch", str(batch)], timing),
                              PipeBench(pipebench, ["-t", "1", "-b", str(batch), "-s", "2112", "-n", packets]),
                              0.7, None, None))
        if "vale" in only:
            for batch in (32, 256):
                pairs.append((f"vale 60 B batch {batch}",
                              Ours(["vale", "--size", "60", "--batch", str(batch)], timing),
                              PipeBench(pipebench, ["-t", "1", "-b", str(batch), "-x", "copy", "-s", "2112", "-n", packets]),
                              0.4, 20.0, None))
        if "pipeline" in only:
            available, why = testpmd_available()
            # Two ways to run the same pipeline: the runtime's defaults (actors on the .NET thread pool, the measuring
            # thread on the other core), and polled with fused stages (generator, pipeline and sink on the measuring
            # thread: one core, as testpmd's one forwarding lcore).
            configs = [(options.ports, ["--ports", options.ports])]
            if options.ports == "actor":
                configs.append(("polled+fuse", ["--polled", "--fuse"]))
            for label, extra in configs:
                pairs.append((f"pipeline-3 64 B {label}",
                              Ours(["pipeline-3", "--size", "64", "--batch", "256", *extra], timing),
                              TestPmd(reference, testpmd_seconds, 32) if available else None,
                              None, 20.0, why))

        if "afpacket" in only:
            available, why = afpacket_available()
            if os.geteuid() == 0:
                pairs.append(("afpacket 64 B",
                              Ours(["afpacket", "--size", "64"], timing),
                              VethTestPmd(reference, 3 if options.quick else 5) if available else None,
                              1.0, None, why))
            else:
                log(f"compare: afpacket skipped: {why}")

        results = {}
        for name, ours, ref, _, _, why in pairs:
            mine, theirs, allocs = [], [], []
            for r in range(options.rounds):
                order = [("ours", ours), ("ref", ref)] if r % 2 == 0 else [("ref", ref), ("ours", ours)]
                for side, bench in order:
                    if bench is None:
                        continue
                    mpps, alloc = bench.measure()
                    (mine if side == "ours" else theirs).append(mpps)
                    if alloc is not None:
                        allocs.append(alloc)
                    log(f"compare: {name} round {r + 1}: {bench.describe()}: {mpps:.2f} Mpps")
            if why:
                log(f"compare: {name}: no reference: {why}")
            results[name] = (mine, theirs, allocs)

    print()
    print(f"Medians over {options.rounds} round(s), alternating which side runs first"
          + (" (--quick: short runs, not figures to quote)" if options.quick else ""))
    print(f"{'case':<30} {'ours Mpps':>10} {'ref Mpps':>9} {'ratio':>6}  {'B/packet':>8}  target                     verdict   reference")
    failed = False
    for name, ours, ref, ratio_target, mpps_target, why in pairs:
        mine, theirs, allocs = results[name]
        m = statistics.median(mine)
        t = statistics.median(theirs) if theirs else None
        ratio = m / t if t else None
        checks, targets = [], []
        if ratio_target is not None:
            targets.append(f">= {ratio_target}x")
            if ratio is not None:
                checks.append(ratio >= ratio_target)
        if mpps_target is not None:
            targets.append(f">= {mpps_target:g} Mpps")
            checks.append(m >= mpps_target)
        if ref is not None and ratio_target is None:
            targets.append("parity the aim")
        verdict = "meets" if checks and all(checks) else "below"
        failed |= verdict == "below"
        alloc = statistics.median(allocs) if allocs else float("nan")
        print(f"{name:<30} {m:>10.2f} {t if t is not None else float('nan'):>9.2f} "
              f"{ratio if ratio is not None else float('nan'):>6.2f}  {alloc:>8.3f}  {', '.join(targets):<26} {verdict:<9} "
              + (ref.describe() if ref is not None else f"none: {why}"))
    return 1 if failed and options.strict else 0


if __name__ == "__main__":
    sys.exit(main())
