"""Benchmark: how believable the synthetic world is, per seed, against its target bands.

python benchmarks/synth_realism.py --households 200000 --years 3 --seeds 1 2 3
"""

from __future__ import annotations

import argparse
import sys
import time

from risk.synth import generate
from risk.synth.realism import HARD_FLAG_RED_RATE, ORACLE_AUROC_RED, realism


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--households", type=int, default=200_000)
    parser.add_argument("--years", type=int, default=3)
    parser.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3])
    args = parser.parse_args(argv)
    print(
        f"households={args.households:,} years={args.years}; targets: oracle red AUROC within "
        f"case units {ORACLE_AUROC_RED}, hard-flag 90-day red rate {HARD_FLAG_RED_RATE}"
    )
    for seed in args.seeds:
        started = time.perf_counter()
        r = realism(generate(args.households, args.years, seed))
        print(
            f"\nseed {seed} ({time.perf_counter() - started:.0f} s): "
            f"oracle red AUROC (case units) {r.oracle_auroc_red:.3f}; "
            f"red rate case units {r.case_red_rate:.2%} of {r.case_units:,}, "
            f"survey units {r.survey_red_rate:.3%} of {r.survey_units:,}"
        )
        for name, row in r.flags.iterrows():
            print(
                f"  {name:<16} {row['red_rate']:6.1%} red of {int(row['units']):>6,} case units"
                f" (true rate {row['true_red_rate']:.1%})"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
