"""The monitor loop of issue 18 replayed without the service, over many seed pairs.

For each pair: a county (seed ``a``, 3 years) trains the champion; a rural-shifted county
(seed ``b``) follows it for 3 years. Its first two years, outcomes known (the ledger cut at
that date, as ``risk monitor --export`` would hand it over), train the candidate with
``--base champion``; the promotion gate compares the two on the candidate's test period.
The third year's units are then scored by both models and read by the monitor (the same
``watch`` as ``risk monitor``) for intake's and screening's red O/E and calibration slope,
in band or alerting (``gate.yaml`` monitoring bands).

    python benchmarks/monitor_loop.py --households 4000 --pairs 20 [--first 1] [--jobs 2]
        [--policy policy.yaml]

It prints one row per pair, then the shares over the pairs. Each pair takes two to three
minutes at 4,000 households on one core.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np
import pandas as pd

QUICK = {"outer_bags": 1, "interactions": 3, "max_rounds": 600, "n_jobs": 1}
YEAR = pd.Timedelta(days=365)


def replay(households: int, a: int, b: int, policy: Path | None = None) -> dict[str, object]:
    """One loop: the figures of the new and the old champion on the third year."""
    from risk.dataset import load_ledger
    from risk.monitor import load_bands, scores_of, watch
    from risk.registry import Registry
    from risk.synth import generate_to_dir
    from risk.train import train

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        uri = f"sqlite:///{folder / 'mlflow.db'}"
        generate_to_dir(folder / "a", households=households, years=3, seed=a, progress=False)
        champion = train(folder / "a", uri=uri, params=QUICK, policy_path=policy)
        registry = Registry(uri)
        registry.promote(str(champion.version), force=True, reason="the first county")
        start = load_ledger(folder / "a").cases["opened_at"].max() + pd.Timedelta(days=1)
        generate_to_dir(
            folder / "b",
            households=households,
            years=3,
            seed=b,
            start=start.date(),
            progress=False,
            shift="rural",
        )
        cut = (start + 2 * YEAR).date().isoformat()
        candidate = train(folder / "b", uri=uri, params=QUICK, base="champion", extract_date=cut)
        result = registry.promote(str(candidate.version))
        refused = [c["metric"] for c in result.checks if not c["ok"]]
        noise = [c["metric"] for c in result.checks if c.get("within_noise")]
        ledger = load_ledger(folder / "b")
        third = (start + 2 * YEAR + pd.Timedelta(days=1)).date()
        bands = load_bands()
        out: dict[str, object] = {
            "a": a,
            "b": b,
            "promoted": result.passed,
            "refused": " ".join(refused),
            "within_noise": len(noise),
        }
        for name, version in (("new", candidate.version), ("old", champion.version)):
            scores = scores_of(registry.load(str(version)), ledger)
            report = watch(scores, ledger, None, first=third, fairness=False)
            figures = report.figures.query("month == 'all' and tier == 'all'")
            alerts = report.alerts.query("month == 'all'")
            raised = set(zip(alerts["decision"], alerts["figure"], strict=True))
            for decision in ("intake", "screening"):
                row = figures.set_index("decision").loc[decision].to_dict()
                for figure in ("observed_expected_red", "calibration_slope_red"):
                    low, high = bands.of(decision)[figure]
                    value = float(row[figure])
                    key = f"{name}_{decision}_{'oe' if figure.startswith('observed') else 'slope'}"
                    out[key] = value
                    out[f"{key}_in_band"] = bool(low <= value <= high)
                    out[f"{key}_alert"] = (decision, figure) in raised
                out[f"{name}_{decision}_n_red"] = round(
                    float(row["observed_red"]) * float(row["n_outcomes"])
                )
        return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--households", type=int, default=4000)
    parser.add_argument("--pairs", type=int, default=20)
    parser.add_argument("--first", type=int, default=1, help="seed of the first pair's county")
    parser.add_argument("--jobs", type=int, default=1)
    parser.add_argument("--policy", type=Path, help="a policy.yaml to train with")
    args = parser.parse_args()
    os.environ.setdefault("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "false")
    seeds = [(args.first + 2 * i, args.first + 2 * i + 1) for i in range(args.pairs)]
    rows = []
    with ProcessPoolExecutor(args.jobs) as pool:
        futures = [pool.submit(replay, args.households, a, b, args.policy) for a, b in seeds]
        for future in futures:
            try:
                row = future.result()
            except Exception as exc:  # a pair whose ledger cannot train: counted, shown
                row = {"error": f"{type(exc).__name__}: {exc}"[:160]}
            rows.append(row)
            print(row, flush=True)
    frame = pd.DataFrame(rows)
    done = frame[frame.get("error", pd.Series(index=frame.index, dtype=object)).isna()]
    print(f"\n## {args.households:,} households, {len(done)} of {len(frame)} pairs trained\n")
    print("| figure (third year) | new champion in band | alerts | old champion in band | alerts |")
    print("|---|---:|---:|---:|---:|")
    for key in ("intake_oe", "intake_slope", "screening_oe", "screening_slope"):
        cells = []
        for name in ("new", "old"):
            cells.append(f"{done[f'{name}_{key}_in_band'].mean():.0%}")
            cells.append(f"{done[f'{name}_{key}_alert'].mean():.0%}")
        print(f"| {key} | " + " | ".join(cells) + " |")
    log = np.log(done["new_intake_oe"].astype(float))
    print(
        f"\npromoted by the gate: {done['promoted'].mean():.0%} of pairs; a figure passed "
        f"as within noise in {(done['within_noise'] > 0).mean():.0%}"
    )
    print(
        f"new champion's intake log O/E: mean {log.mean():+.3f}, spread {log.std():.3f}; "
        f"median red events {done['new_intake_n_red'].median():.0f}"
    )
    refused = done.loc[~done["promoted"], "refused"]
    if len(refused):
        print("refused on:", "; ".join(refused))
    sys.stdout.flush()


if __name__ == "__main__":
    main()
