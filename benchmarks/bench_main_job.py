"""The main job, ``pytest --homog examples/``, cold then warm; prints the ratios and exits non-zero when a bound is
missed.

1. warm over cold: wall time of a second run on the same cache directory (every fine-tune, prediction,
   probability and feature read from the cache) over the first run on a fresh one (everything fine-tuned and
   run forward). Bound: <= 0.1, and the warm run under 15 s.
2. xdist over one process: the warm run under ``-n 2 --dist loadgroup`` over the warm run in one process; the
   workers read the stored outputs instead of predicting again. Bound: <= 1.0.

Each run is a subprocess with the hubs offline. A warm run must do no forward pass: the script counts the
``homog model predict`` and ``homog model features`` lines of its summary that are not cache hits.

Run: ``python benchmarks/bench_main_job.py`` (several minutes: the cold run fine-tunes every example model;
``--warm-repeats`` times each warm run that many times and keeps the median).
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

ROOT = Path(__file__).resolve().parents[1]
OUTPUT_LINES = ("homog model predict:", "homog model features:")


def ratio_line(name: str, value: float, bound: float) -> bool:
    ok = value <= bound
    print(f"RATIO {name}: {value:.3f} (<= {bound:g} required){'' if ok else '  MISSED'}", flush=True)
    return ok


def run_job(cache: Path, *extra: str, log: Path | None = None) -> tuple[float, list[str]]:
    """Wall time of one ``pytest --homog examples/`` run on ``cache``, and the summary's lines about outputs; its
    output is written to ``log`` when one is given."""
    env = {
        **os.environ,
        "HF_HUB_OFFLINE": "1",
        "HF_DATASETS_OFFLINE": "1",
        "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]),
    }
    cmd = [sys.executable, "-m", "pytest", "--homog", "examples/", f"--homog-cache-dir={cache}"]
    cmd += ["-p", "no:cacheprovider", "-q", *extra]
    started = time.perf_counter()
    done = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - started
    if log is not None:
        log.write_text(done.stdout + done.stderr, encoding="utf-8")
    if done.returncode != 0:
        print(done.stdout[-4000:], done.stderr[-2000:], sep="\n")
        raise SystemExit(f"`{' '.join(cmd[2:])}` exited with {done.returncode}")
    return seconds, [line for line in done.stdout.splitlines() if line.startswith(OUTPUT_LINES)]


def warm(cache: Path, repeats: int, *extra: str) -> float:
    """Median wall time of ``repeats`` warm runs; stops the benchmark if any of them ran a model forward."""
    times = []
    for _ in range(repeats):
        seconds, lines = run_job(cache, *extra)
        passes = [line for line in lines if " hit in " not in line]
        if passes:
            raise SystemExit("a warm run ran models forward:\n" + "\n".join(passes))
        times.append(seconds)
    label = " ".join(extra) or "one process"
    print(f"warm run ({label}): {statistics.median(times):.1f} s, 0 forward passes, {len(lines)} outputs read")
    return statistics.median(times)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--warm-repeats", type=int, default=1)
    parser.add_argument("--cold-log", type=Path, help="write the cold run's output (its progress lines) here")
    args = parser.parse_args()
    cache = Path(tempfile.mkdtemp(prefix="bench-main-job-")) / "cache"
    cold, lines = run_job(cache, log=args.cold_log)
    print(f"cold run: {cold:.1f} s, {len(lines)} outputs computed and stored", flush=True)
    one = warm(cache, args.warm_repeats)
    ok = ratio_line("warm/cold", one / cold, 0.1)
    if one >= 15.0:
        print(f"warm run: {one:.1f} s is not under 15 s  MISSED")
        ok = False
    xdist = warm(cache, args.warm_repeats, "-n", "2", "--dist", "loadgroup")
    ok = ratio_line("warm -n 2 --dist loadgroup / warm one process", xdist / one, 1.0) and ok
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
