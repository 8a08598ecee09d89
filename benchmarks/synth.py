"""Benchmark: generate and write a synthetic population; print wall time, peak RSS and rows.

python benchmarks/synth.py --households 1000000 --years 3 [--messy]
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
from pathlib import Path

from risk.synth import generate_to_dir


def peak_rss_mib() -> float:
    """Peak resident memory of this process and any children, in MiB (Linux reports KiB)."""
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return max(own, children) / 1024


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--households", type=int, default=1_000_000)
    parser.add_argument("--years", type=int, default=3)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--messy", action="store_true", help="also write the messy CSVs")
    parser.add_argument("--quiet", action="store_true", help="no per-step status lines")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="synth-bench-") as tmp:
        started = time.perf_counter()
        counts = generate_to_dir(
            Path(tmp),
            households=args.households,
            years=args.years,
            seed=args.seed,
            messy=args.messy,
            progress=not args.quiet,
        )
        wall = time.perf_counter() - started
        size = sum(p.stat().st_size for p in Path(tmp).iterdir()) / 2**20
    print(f"households={args.households:,} years={args.years} seed={args.seed} messy={args.messy}")
    print(f"wall time: {wall:.1f} s")
    print(f"peak RSS: {peak_rss_mib():,.0f} MiB")
    print(f"written: {size:,.0f} MiB")
    for name, rows in counts.items():
        print(f"  {name}: {rows:,} rows")
    return 0


if __name__ == "__main__":
    sys.exit(main())
