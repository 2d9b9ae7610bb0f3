"""Plugin overhead on a repo that never passes --homog.

Runs a generated suite of 500 trivial tests with pytest-homog loaded (its entry point) and with it disabled
(``-p no:homog``), alternating, in child processes of this one. Prints the median wall time and the median CPU time
(user + system of the child, which the other load on a shared machine disturbs far less) of each, and the ratios.
The bound applies to the CPU-time ratio: plugin loaded / plugin disabled <= 1.05.

Usage: python benchmarks/bench_plugin_overhead.py [--runs N]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BOUND = 1.05
N_TESTS = 500


def write_suite(root: Path) -> None:
    lines = [f"def test_{i}():\n    assert {i} == {i}\n" for i in range(N_TESTS)]
    (root / "test_trivial.py").write_text("\n".join(lines))
    (root / "pytest.ini").write_text("[pytest]\n")


def run_once(root: Path, extra: list[str]) -> tuple[float, float]:
    cmd = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *extra]
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=root, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise SystemExit(f"pytest exited {proc.returncode} running {' '.join(cmd)} in {root}")
    return wall, usage.ru_utime + usage.ru_stime


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=11, help="runs of each variant (default: 11)")
    args = parser.parse_args()
    # the runs measure pytest as users run it: with cached bytecode, not recompiling every module each time
    os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        write_suite(root)
        variants = {"with plugin": [], "-p no:homog": ["-p", "no:homog"]}
        times: dict[str, list[tuple[float, float]]] = {name: [] for name in variants}
        for extra in variants.values():  # warm-up: file-system caches, .pyc files
            run_once(root, extra)
        order = list(variants.items())
        for _ in range(args.runs):
            for name, extra in order:
                times[name].append(run_once(root, extra))
            order.reverse()  # ABBA: neither variant always runs right after the other
    wall = {name: statistics.median(t[0] for t in ts) for name, ts in times.items()}
    cpu = {name: statistics.median(t[1] for t in ts) for name, ts in times.items()}
    for name in variants:
        print(f"{name:>12}: median wall {wall[name]:.3f} s, median cpu {cpu[name]:.3f} s ({args.runs} runs)")
    wall_ratio = wall["with plugin"] / wall["-p no:homog"]
    cpu_ratio = cpu["with plugin"] / cpu["-p no:homog"]
    print(f"ratio wall: {wall_ratio:.3f} (baseline: -p no:homog)")
    print(f"RATIO plugin overhead (cpu time, {N_TESTS} tests, no --homog): {cpu_ratio:.3f} (<= {BOUND} required)")
    return 0 if cpu_ratio <= BOUND else 1


if __name__ == "__main__":
    sys.exit(main())
