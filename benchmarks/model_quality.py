"""Model quality and speed against the truth: model, baselines and oracle side by side.

Generates a synthetic population (200,000 households over 3 years by default, fixed
seed), trains with ``risk.train.train`` into a throwaway MLflow store, and on the test
period prints the model, the DASH-style checklist, the logistic regression and the oracle
(the true probabilities from truth.parquet) side by side, then the issue's targets with
pass/fail, the fit time on 500,000 units and the scoring speed with reasons.

    python benchmarks/model_quality.py [--households 200000] [--years 3] [--seed 2026]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from risk.dataset import load_ledger, time_split
from risk.features.units import ID_COLUMNS
from risk.models.ebm import EBMPairClassifier, feature_types_from_specs
from risk.models.metrics import probability_metrics
from risk.models.tiers import tier_codes
from risk.synth import generate_to_dir
from risk.train import train

ROWS = (
    "auroc_red",
    "auroc_yellow_or_red",
    "pr_auc_red",
    "brier_red",
    "ece_green",
    "ece_yellow",
    "ece_red",
    "ece_yellow_or_red",
)
TIER_ROWS = (
    "tier_red_recall",
    "tier_red_share",
    "tier_green_red_rate",
    "tier_red_precision",
    "tier_yellow_or_red_recall",
)


def _records(units: pd.DataFrame) -> list[dict]:
    return [
        {k: (None if pd.isna(v) else (v.item() if hasattr(v, "item") else v)) for k, v in r.items()}
        for r in units.to_dict("records")
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--households", type=int, default=200_000)
    parser.add_argument("--years", type=int, default=3)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--fit-units", type=int, default=500_000)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        start = time.perf_counter()
        generate_to_dir(root / "data", args.households, args.years, args.seed, progress=False)
        print(
            f"generated {args.households:,} households x {args.years} years "
            f"in {time.perf_counter() - start:.1f} s"
        )
        start = time.perf_counter()
        outcome = train(root / "data", uri=f"sqlite:///{root / 'mlflow.db'}", register=False)
        print(
            f"risk.train.train: {time.perf_counter() - start:.1f} s wall "
            f"(classifier fit {outcome.fit.seconds['classifier']:.1f} s on "
            f"{int(outcome.metrics['n_train']):,} units)"
        )
        m = outcome.metrics

        # The oracle: the true probabilities of the same test units.
        ledger = load_ledger(root / "data")
        splits = time_split(ledger.units())
        test = splits["test"].units
        truth = pd.read_parquet(root / "data" / "truth.parquet")
        keys = [c for c in ID_COLUMNS]
        test_keys = test[keys].astype({"case_id": object, "household_id": object})
        truth = truth.astype({"case_id": object, "household_id": object})
        joined = test_keys.merge(truth, on=keys, how="left", validate="one_to_one")
        if joined["p_red"].isna().any():
            raise SystemExit(f"{joined['p_red'].isna().sum()} test units have no truth row")
        y = tier_codes(test["label"])
        oracle = probability_metrics(y, joined[["p_green", "p_yellow", "p_red"]].to_numpy())

        print(
            f"\ntest period: {len(test):,} units "
            f"({splits['test'].start.date()} to {splits['test'].end.date()})"
        )
        print(f"{'metric':28}{'model':>10}{'checklist':>11}{'logistic':>10}{'oracle':>10}")
        for row in ROWS:
            cells = [
                m.get(f"test_{row}"),
                m.get(f"test_checklist_{row}"),
                m.get(f"test_logistic_{row}"),
                oracle.get(row),
            ]
            print(
                f"{row:28}" + "".join(f"{'—':>10} " if c is None else f"{c:10.4f} " for c in cells)
            )
        for row in TIER_ROWS:
            cells = [
                m.get(f"test_{row}"),
                m.get(f"test_checklist_{row}"),
                m.get(f"test_logistic_{row}"),
            ]
            print(f"{row:28}" + "".join(f"{c:10.4f} " for c in cells))
        print(
            f"conformal coverage (target {outcome.fit.model.conformal.coverage:.2f}): "
            f"{m['test_conformal_coverage']:.4f}; review share "
            f"{m['test_conformal_review_share']:.4f}"
        )

        # Speed: fit on fit_units units, batch scoring with reasons, one unit.
        units = pd.concat([s.units for s in splits.values()], ignore_index=True)
        units = units.sample(n=min(args.fit_units, len(units)), random_state=0)
        encoder = outcome.fit.model.encoder
        X = encoder.transform(units)
        start = time.perf_counter()
        EBMPairClassifier(
            feature_names=list(encoder.feature_names_out_),
            feature_types=feature_types_from_specs(encoder.specs_),
        ).fit(X, tier_codes(units["label"]))
        fit_seconds = time.perf_counter() - start
        print(f"\nfit of the classifier pair on {len(units):,} units: {fit_seconds:.1f} s")

        model = outcome.fit.model
        batch = pd.concat([test] * max(1, 200_000 // len(test) + 1), ignore_index=True)
        batch = batch.head(200_000)
        model.predict_frame(batch.head(1000))
        start = time.perf_counter()
        model.predict_frame(batch)
        per_second = len(batch) / (time.perf_counter() - start)
        print(f"batch scoring with reasons: {per_second:,.0f} units/s ({len(batch):,} units)")
        records = _records(test.head(2000))
        for r in records[:50]:
            model.predict_record(r)
        times = []
        for r in records:
            t0 = time.perf_counter()
            model.predict_record(r)
            times.append(time.perf_counter() - t0)
        p99 = float(np.quantile(times, 0.99))
        print(
            f"one unit (predict_record): median {statistics.median(times) * 1e3:.3f} ms, "
            f"p99 {p99 * 1e3:.3f} ms"
        )

        checks = {
            "red AUROC within 0.02 of oracle": m["test_auroc_red"] >= oracle["auroc_red"] - 0.02,
            "yellow-or-red AUROC within 0.02 of oracle": m["test_auroc_yellow_or_red"]
            >= oracle["auroc_yellow_or_red"] - 0.02,
            "ECE <= 0.02 for each class": all(
                m[f"test_ece_{t}"] <= 0.02 for t in ("green", "yellow", "red")
            ),
            "red recall >= 0.85": m["test_tier_red_recall"] >= 0.85,
            "red share <= 0.15": m["test_tier_red_share"] <= 0.15,
            "green units ending red <= 1%": m["test_tier_green_red_rate"] <= 0.01,
            "red AUROC >= checklist + 0.05": m["test_auroc_red"]
            >= m["test_checklist_auroc_red"] + 0.05,
            "red AUROC >= logistic": m["test_auroc_red"] >= m["test_logistic_auroc_red"],
            "conformal coverage within 2 points": abs(m["test_conformal_coverage"] - 0.9) <= 0.02,
            "fit on 500k units <= 5 min": fit_seconds <= 300,
            "batch >= 100,000 units/s": per_second >= 100_000,
            "one unit <= 1 ms (p99)": p99 <= 1e-3,
        }
        print()
        for name, ok in checks.items():
            print(f"{'PASS' if ok else 'FAIL'}  {name}")


if __name__ == "__main__":
    main()
