"""Model quality per decision, beside two fitted peers, the checklist and the truth; speed.

Generates a synthetic population (200,000 households over 3 years by default, fixed seed;
or reads a generated one with ``--data``), trains with ``risk.train.train`` into a
throwaway MLflow store and reports on the test period, for case intake (case units) and
household screening (survey units) apart: the model; a one-hot logistic regression and a
LightGBM model, each fitted on the training period per decision where the model is (its
pooled training units where the model's decision is pooled), with the policy's thresholds
chosen on the calibration period; the DASH-style checklist as training fits it; and the
oracle (the true probabilities in truth.parquet, thresholds chosen the same way). Then a
subgroup table per decision, the issue's checks with PASS/FAIL and, unless ``--quick``,
the speed: the fit of the classifier pair on 500,000 units, batch scoring with reasons
and one unit.

    python benchmarks/model_quality.py [--households 200000] [--years 3] [--seed 2026[,7,...]]
        [--data DIR] [--quick]

With several seeds it runs one population per seed and ends with a summary over them:
red AUROC per population, the model's gap to each peer (a paired bootstrap per
population, combined) and each subgroup's O/E red pooled over the test periods, which
one population's few red events per subgroup cannot measure.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

import lightgbm as lgb
import numpy as np
import pandas as pd
from scipy.stats import chi2
from sklearn.metrics import roc_auc_score

from risk.dataset import Split, load_ledger, time_split, unlabelled
from risk.evaluate import targets_missed
from risk.features.units import ID_COLUMNS
from risk.models.baselines import LogisticBaseline
from risk.models.decision import DECISIONS, decision_index
from risk.models.ebm import EBMPairClassifier, feature_types_from_specs
from risk.models.fit import inflow_units
from risk.models.metrics import probability_metrics, tier_metrics
from risk.models.policy import DecisionPolicy
from risk.models.thresholds import Scores as ThresholdScores
from risk.models.thresholds import choose_thresholds
from risk.models.tiers import TIERS, policy_ranks, tier_codes
from risk.models.triage import TriageModel
from risk.synth import generate_to_dir
from risk.train import TrainOutcome, notes_text, train

SCORERS = ("model", "logistic", "lightgbm", "checklist", "oracle")
PEERS = ("logistic", "lightgbm")
#: Rows of the per-decision table: label, key of the scorer's figures.
ROWS = (
    ("red AUROC", "auroc_red"),
    ("yellow-or-red AUROC", "auroc_yellow_or_red"),
    ("ECE red", "ece_red"),
    ("ECE yellow-or-red", "ece_yellow_or_red"),
    ("ECE green", "ece_green"),
    ("observed/expected red", "observed_expected_red"),
    ("observed/expected yellow-or-red", "observed_expected_yellow_or_red"),
    ("tier mix red", "mix_red"),
    ("tier mix yellow", "mix_yellow"),
    ("tier mix green", "mix_green"),
    ("red recall", "red_recall"),
    ("red PPV", "red_precision"),
    ("green NPV", "green_npv"),
    ("review share", "review_share"),
    ("set coverage green", "set_coverage_green"),
    ("set coverage yellow", "set_coverage_yellow"),
    ("set coverage red", "set_coverage_red"),
)
MIN_SUBGROUP = 500
PARTNERS = ("spouse", "ex_partner")
ECE_MAX, OE_RANGE = 0.02, (0.9, 1.1)
INTAKE_RED_MIX, INTAKE_MIN_GREEN = (0.10, 0.15), 0.30


@dataclass
class Period:
    """One period's units as every scorer sees them."""

    units: pd.DataFrame
    X: np.ndarray
    y: np.ndarray
    decision: np.ndarray
    floors: np.ndarray
    truth: np.ndarray


@dataclass
class Scores:
    """One scorer on the test units: probabilities ``(n, 3)`` and tier ranks."""

    proba: np.ndarray
    ranks: np.ndarray


# -- data -------------------------------------------------------------------------------


def truth_of(units: pd.DataFrame, truth: pd.DataFrame) -> np.ndarray:
    """The true ``(n, 3)`` probabilities of ``units`` from truth.parquet."""
    keys = list(ID_COLUMNS)
    mine = units[keys].astype({"case_id": object, "household_id": object})
    theirs = truth.astype({"case_id": object, "household_id": object})
    joined = mine.merge(theirs, on=keys, how="left", validate="one_to_one")
    if joined["p_red"].isna().any():
        raise SystemExit(f"truth.parquet: {joined['p_red'].isna().sum()} units have no row")
    return joined[["p_green", "p_yellow", "p_red"]].to_numpy()


def periods(
    splits: dict[str, Split], recent: pd.DataFrame, model: TriageModel, truth: pd.DataFrame
) -> dict:
    """Each labelled period, and ``recent``: the units whose outcome is not known yet
    (label -1), part of the inflow capacity is measured on."""
    parts = {name: (split.units, tier_codes(split.labels)) for name, split in splits.items()}
    parts["recent"] = (recent, np.full(len(recent), -1))
    out = {}
    for name, (units, y) in parts.items():
        X = model.encoder.transform(units)
        floors, _ = model.policy.floors(units)
        out[name] = Period(units, X, y, decision_index(X), floors, truth_of(units, truth))
    return out


# -- peers ------------------------------------------------------------------------------


class LightGBMPeer:
    """A multiclass LightGBM on the model's feature matrix (nominal codes as categories,
    missing values as LightGBM's own), early-stopped on a random 15% of its units."""

    PARAMS: ClassVar[dict[str, Any]] = {
        "objective": "multiclass",
        "num_class": 3,
        "learning_rate": 0.05,
        "num_leaves": 31,
        "min_data_in_leaf": 50,
        "feature_fraction": 0.8,
        "bagging_fraction": 0.8,
        "bagging_freq": 1,
        "lambda_l2": 1.0,
        "num_threads": 2,
        "verbose": -1,
        "seed": 0,
    }

    def fit(self, X: np.ndarray, y: np.ndarray, specs: Any) -> LightGBMPeer:
        nominal = [i for i, s in enumerate(specs) if s.kind == "nominal"]
        held = np.random.default_rng(0).random(y.size) < 0.15
        data = lgb.Dataset(X[~held], y[~held], categorical_feature=nominal, free_raw_data=True)
        valid = lgb.Dataset(X[held], y[held], reference=data)
        self.booster_ = lgb.train(
            self.PARAMS,
            data,
            num_boost_round=2000,
            valid_sets=[valid],
            callbacks=[lgb.early_stopping(100, verbose=False)],
        )
        return self

    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        proba = self.booster_.predict(X, num_iteration=self.booster_.best_iteration)
        return np.asarray(proba, np.float64)


def _logistic() -> Any:
    return LogisticBaseline()


FACTORIES: dict[str, Callable[[], Any]] = {"logistic": _logistic, "lightgbm": LightGBMPeer}


def policy_tiers(
    predict: Callable[[Period, np.ndarray], np.ndarray],
    data: dict[str, Period],
    decision: int,
    rule: DecisionPolicy,
    name: str,
) -> np.ndarray:
    """Tier ranks of a scorer's test probabilities (``predict(period, rows)``) with the
    thresholds the policy chooses as training does: targets on the calibration rows,
    capacity on the same inflow (the recent units and the latest calibration ones)."""
    cal, new, test = data["calibration"], data["recent"], data["test"]
    c, n, rows = (d.decision == decision for d in (cal, new, test))
    p_cal = predict(cal, c)
    p_in, floors_in = inflow_units(
        (predict(new, n), new.floors[n]),
        (p_cal, cal.floors[c], cal.units["as_of"].to_numpy("datetime64[ns]")[c]),
        rule.capacity_units,
    )
    t = choose_thresholds(
        p_cal[:, 2],
        1 - p_cal[:, 0],
        cal.y[c],
        cal.floors[c],
        rule,
        decision=name,
        capacity=ThresholdScores.of(p_in[:, 2], 1 - p_in[:, 0], floors_in),
    ).thresholds
    p = predict(test, rows)
    return policy_ranks(p[:, 2], 1 - p[:, 0], t.red, t.yellow, test.floors[rows])


def peer_scores(kind: str, data: dict[str, Period], model: TriageModel) -> tuple[Scores, dict]:
    """A peer fitted per decision where the model is (pooled where it is), and its fit s."""
    train, test = data["train"], data["test"]
    proba, ranks = np.zeros((len(test.y), 3)), np.zeros(len(test.y), np.int8)
    fitted: dict[str, Any] = {}
    seconds = {}
    for i, name in enumerate(DECISIONS):
        rows = test.decision == i
        if not rows.any():
            continue
        pooled = model.decisions[name].pooled
        key = "pooled" if pooled else name
        if key not in fitted:
            fit_rows = np.ones(len(train.y), bool) if pooled else train.decision == i
            start = time.perf_counter()
            fitted[key] = FACTORIES[kind]().fit(
                train.X[fit_rows], train.y[fit_rows], model.encoder.specs_
            )
            seconds[key] = time.perf_counter() - start
        peer = fitted[key]

        def predict(d: Period, r: np.ndarray, peer: Any = peer) -> np.ndarray:
            return np.asarray(peer.predict_proba(d.X[r]))

        proba[rows] = peer.predict_proba(test.X[rows])
        ranks[rows] = policy_tiers(
            predict,
            data,
            i,
            model.policy.decisions[name],
            name,
        )
    return Scores(proba, ranks), seconds


def oracle_scores(data: dict[str, Period], model: TriageModel) -> Scores:
    test = data["test"]
    ranks = np.zeros(len(test.y), np.int8)
    for i, name in enumerate(DECISIONS):
        rows = test.decision == i
        if rows.any():
            ranks[rows] = policy_tiers(
                lambda d, r: d.truth[r], data, i, model.policy.decisions[name], name
            )
    return Scores(test.truth, ranks)


# -- figures ----------------------------------------------------------------------------


def figures(y: np.ndarray, s: Scores, rows: np.ndarray) -> dict[str, float]:
    return {
        **probability_metrics(y[rows], s.proba[rows]),
        **tier_metrics(y[rows], s.ranks[rows]),
    }


def cell(value: float | None, digits: int = 4) -> str:
    return "—" if value is None or value != value else f"{value:.{digits}f}"


def oe_interval(observed: int, expected: float) -> tuple[float, float]:
    """A 95% interval of observed/expected red, the observed count taken as Poisson."""
    lo = chi2.ppf(0.025, 2 * observed) / 2 if observed else 0.0
    hi = chi2.ppf(0.975, 2 * observed + 2) / 2
    return lo / expected, hi / expected


def subgroup_masks(units: pd.DataFrame, floors: np.ndarray) -> dict[str, np.ndarray]:
    """The issue's subgroups: partner cases with a hard flag, police-sourced cases, each
    dispute type, rural and urban."""

    def text(column: str) -> pd.Series:
        return units[column].astype(object).where(units[column].notna(), "missing").astype(str)

    partner = text("counterpart").isin(PARTNERS).to_numpy()
    out = {
        "partner case, hard flag": partner & (floors >= 2),
        "source police": (text("source") == "police").to_numpy(),
    }
    dispute = text("dispute_type")
    for value in sorted(set(dispute) - {"missing"}):
        out[f"dispute {value}"] = (dispute == value).to_numpy()
    area = text("area")
    for value in sorted(set(area) - {"missing"}):
        out[f"area {value}"] = (area == value).to_numpy()
    return out


def subgroup_rows(
    name: str, rows: np.ndarray, data: Period, scores: dict[str, Scores], small: list[str]
) -> list[dict[str, Any]]:
    """Per subgroup of the decision with ≥ MIN_SUBGROUP units: its red figures (the
    smaller ones' sizes are added to ``small``)."""
    out = []
    for group, mask in subgroup_masks(data.units, data.floors).items():
        sub = rows & mask
        n = int(sub.sum())
        if n < MIN_SUBGROUP:
            if n:
                small.append(f"{name} {group} {n} ({int((data.y[sub] == 2).sum())} red)")
            continue
        m = probability_metrics(data.y[sub], scores["model"].proba[sub])
        o = probability_metrics(data.y[sub], scores["oracle"].proba[sub])
        n_red = int((data.y[sub] == 2).sum())
        lo, hi = oe_interval(n_red, float(scores["model"].proba[sub, 2].sum()))
        out.append(
            {
                "decision": name,
                "group": group,
                "n": n,
                "n_red": n_red,
                **{
                    f"auroc_{k}": probability_metrics(data.y[sub], scores[k].proba[sub])[
                        "auroc_red"
                    ]
                    for k in ("model", "logistic", "lightgbm", "oracle")
                },
                "observed_red": n_red,
                "expected_red": float(scores["model"].proba[sub, 2].sum()),
                "oracle_expected_red": float(scores["oracle"].proba[sub, 2].sum()),
                "oe_red": m["observed_expected_red"],
                "oe_lo": lo,
                "oe_hi": hi,
                "ece_red": m["ece_red"],
                "ece_yellow_or_red": m["ece_yellow_or_red"],
                "oracle_oe_red": o["observed_expected_red"],
                "oracle_ece_red": o["ece_red"],
                "oracle_ece_yellow_or_red": o["ece_yellow_or_red"],
            }
        )
    return out


# -- report -----------------------------------------------------------------------------


def report_decisions(
    outcome: TrainOutcome, test: Period, scores: dict[str, Scores]
) -> dict[str, dict[str, dict[str, float]]]:
    """Print the side-by-side table of each decision; return the figures by decision."""
    m = outcome.metrics
    out: dict[str, dict[str, dict[str, float]]] = {}
    for i, name in enumerate(DECISIONS):
        rows = test.decision == i
        if not rows.any():
            print(f"\n### {name}: no test units")
            continue
        got = {k: figures(test.y, s, rows) for k, s in scores.items()}
        for key in ("review_share", *(f"set_coverage_{t}" for t in TIERS)):
            got["model"][key] = m.get(f"test_{name}_{key}", float("nan"))
        out[name] = got
        n_red = int((test.y[rows] == 2).sum())
        n_yr = int((test.y[rows] >= 1).sum())
        t = outcome.fit.model.decisions[name].thresholds
        pooled = " (pooled classifier)" if outcome.fit.model.decisions[name].pooled else ""
        print(
            f"\n### {name}: {int(rows.sum()):,} test units, {n_red:,} red, {n_yr:,} yellow or "
            f"red; model t_red {t.red:.4f}, t_yellow {t.yellow:.4f}{pooled}\n"
        )
        print("| figure | " + " | ".join(SCORERS) + " |")
        print("|---|" + "---:|" * len(SCORERS))
        for label, key in ROWS:
            print(f"| {label} | " + " | ".join(cell(got[k].get(key)) for k in SCORERS) + " |")
    pooled_auroc = probability_metrics(test.y, scores["model"].proba)["auroc_red"]
    print(f"\npooled (both decisions, an extra line only): model red AUROC {pooled_auroc:.4f}")
    return out


def report_subgroups(table: list[dict[str, Any]]) -> None:
    print(f"\n### subgroups with ≥ {MIN_SUBGROUP} test units\n")
    print(
        "| decision | subgroup | n | n red | red AUROC model | logistic | LightGBM | oracle "
        "| O/E red (95% interval) | ECE red | ECE yellow-or-red | oracle: O/E red | ECE red "
        "| ECE yellow-or-red |"
    )
    print("|---|---|" + "---:|" * 12)
    for r in table:
        print(
            f"| {r['decision']} | {r['group']} | {r['n']:,} | {r['n_red']:,} | "
            + " | ".join(cell(r[f"auroc_{k}"]) for k in ("model", "logistic", "lightgbm", "oracle"))
            + f" | {cell(r['oe_red'], 3)} ({cell(r['oe_lo'], 2)}–{cell(r['oe_hi'], 2)}) | "
            f"{cell(r['ece_red'])} | {cell(r['ece_yellow_or_red'])} | "
            f"{cell(r['oracle_oe_red'], 3)} | {cell(r['oracle_ece_red'])} | "
            f"{cell(r['oracle_ece_yellow_or_red'])} |"
        )


def verdict(ok: bool | None) -> str:
    return "N/A " if ok is None else ("PASS" if ok else "FAIL")


def within(value: float, low: float, high: float) -> bool | None:
    return None if value != value else low <= value <= high


def quality_checks(got: dict, table: list[dict[str, Any]]) -> list[tuple[bool | None, str]]:
    checks: list[tuple[bool | None, str]] = []
    for name, f in got.items():
        model = f["model"]["auroc_red"]
        best = max(f[k]["auroc_red"] for k in PEERS)
        ok = None if model != model or best != best else model >= best
        checks.append(
            (ok, f"{name}: red AUROC {cell(model)} ≥ max(logistic, LightGBM) {cell(best)}")
        )
        eces = {k: f["model"][f"ece_{k}"] for k in ("red", "yellow_or_red", "green")}
        checks.append(
            (
                all(v <= ECE_MAX for v in eces.values()),
                f"{name}: ECE ≤ {ECE_MAX} per class ("
                + ", ".join(f"{k} {v:.4f}" for k, v in eces.items())
                + ")",
            )
        )
        oe = f["model"]["observed_expected_red"]
        checks.append((within(oe, *OE_RANGE), f"{name}: O/E red {cell(oe, 3)} within 0.9–1.1"))
        mine = [r for r in table if r["decision"] == name]
        bad_oe = [
            f"{r['group']} {r['oe_red']:.3f}{'*' if r['oe_lo'] <= 1.0 <= r['oe_hi'] else ''}"
            for r in mine
            if not within(r["oe_red"], *OE_RANGE)
        ]
        checks.append(
            (
                None if not mine else not bad_oe,
                f"{name}: O/E red within 0.9–1.1 in each of {len(mine)} subgroups ≥ "
                f"{MIN_SUBGROUP} units"
                + (
                    f" (outside: {'; '.join(bad_oe)}; *: 1 is within its 95% interval)"
                    if bad_oe
                    else ""
                ),
            )
        )
        bad_ece = [
            f"{r['group']} {max(r['ece_red'], r['ece_yellow_or_red']):.4f}"
            for r in mine
            if max(r["ece_red"], r["ece_yellow_or_red"]) > ECE_MAX
        ]
        checks.append(
            (
                None if not mine else not bad_ece,
                f"{name}: ECE ≤ {ECE_MAX} (red, yellow-or-red) in each subgroup ≥ {MIN_SUBGROUP}"
                + (f" (above: {'; '.join(bad_ece)})" if bad_ece else ""),
            )
        )
    if "intake" in got:
        mix = got["intake"]["model"]
        red, green = mix["mix_red"], mix["mix_green"]
        checks.append(
            (
                INTAKE_RED_MIX[0] <= red <= INTAKE_RED_MIX[1] and green >= INTAKE_MIN_GREEN,
                f"intake tier mix: red {red:.1%} within 10–15%, green {green:.1%} ≥ 30%",
            )
        )
    return checks


# -- speed ------------------------------------------------------------------------------


def _records(units: pd.DataFrame) -> list[dict]:
    return [
        {k: (None if pd.isna(v) else (v.item() if hasattr(v, "item") else v)) for k, v in r.items()}
        for r in units.to_dict("records")
    ]


def speed(outcome: TrainOutcome, splits: dict[str, Split], fit_units: int) -> list:
    """Fit, batch and one-unit timings; the speed checks."""
    model = outcome.fit.model
    units = pd.concat([s.units for s in splits.values()], ignore_index=True)
    units = units.sample(n=min(fit_units, len(units)), random_state=0)
    encoder = model.encoder
    start = time.perf_counter()
    EBMPairClassifier(
        feature_names=list(encoder.feature_names_out_),
        feature_types=feature_types_from_specs(encoder.specs_),
        monotone=model.policy.monotone,
    ).fit(encoder.transform(units), tier_codes(units["label"]))
    fit_seconds = time.perf_counter() - start
    print(f"\nfit of the classifier pair on {len(units):,} units: {fit_seconds:.1f} s")

    test = splits["test"].units
    batch = pd.concat([test] * max(1, 200_000 // len(test) + 1), ignore_index=True)
    batch = batch.head(200_000)
    model.predict_frame(batch.head(1000))
    start = time.perf_counter()
    model.predict_frame(batch)
    per_second = len(batch) / (time.perf_counter() - start)
    print(f"batch scoring with reasons: {per_second:,.0f} units/s ({len(batch):,} units)")
    sample = test.sample(n=min(2000, len(test)), random_state=0)
    records = _records(sample)
    for r in records[:50]:
        model.predict_record(r)
    times = []
    for r in records:
        t0 = time.perf_counter()
        model.predict_record(r)
        times.append(time.perf_counter() - t0)
    p99 = float(np.quantile(times, 0.99))
    cases = sample["case_id"].notna().mean()
    print(
        f"one unit (predict_record, {len(records):,} test units, {cases:.0%} cases): median "
        f"{statistics.median(times) * 1e3:.3f} ms, p99 {p99 * 1e3:.3f} ms"
    )
    return [
        (fit_seconds <= 300, f"fit on {len(units):,} units ≤ 5 min ({fit_seconds:.0f} s)"),
        (per_second >= 100_000, f"batch ≥ 100,000 units/s ({per_second:,.0f})"),
        (p99 <= 1e-3, f"one unit ≤ 1 ms at p99 ({p99 * 1e3:.3f} ms)"),
    ]


# -- main -------------------------------------------------------------------------------


@dataclass
class Population:
    """What one population's run gives the summary over populations."""

    got: dict[str, dict[str, dict[str, float]]]
    table: list[dict[str, Any]]
    #: Per decision and peer: the paired bootstrap of model − peer red AUROC (mean, SE).
    auroc_gaps: dict[str, dict[str, tuple[float, float]]]


def paired_auroc_gap(
    y: np.ndarray, model: np.ndarray, peer: np.ndarray, reps: int = 300, seed: int = 0
) -> tuple[float, float]:
    """Model − peer red AUROC on the same units, and its bootstrap standard error."""
    red = y == 2
    gap = roc_auc_score(red, model) - roc_auc_score(red, peer)
    rng = np.random.default_rng(seed)
    draws = []
    for _ in range(reps):
        i = rng.integers(0, y.size, y.size)
        if red[i].any() and not red[i].all():
            draws.append(roc_auc_score(red[i], model[i]) - roc_auc_score(red[i], peer[i]))
    return float(gap), float(np.std(draws, ddof=1))


def run(data_dir: Path, root: Path, args: argparse.Namespace) -> Population:
    start = time.perf_counter()
    outcome = train(data_dir, uri=f"sqlite:///{root / 'mlflow.db'}", register=False)
    fit_s = ", ".join(f"{k} {v:.1f} s" for k, v in outcome.fit.seconds.items())
    print(f"risk.train.train: {time.perf_counter() - start:.1f} s wall ({fit_s})")
    ledger = load_ledger(data_dir)
    units = ledger.units()
    splits = time_split(units)
    for s in splits.values():
        print(f"  {s.name}: {len(s.units):,} units, {s.start.date()} to {s.end.date()}")
    print(f"  recent (outcome not known yet): {int(units['label'].isna().sum()):,} units")
    print(f"  extract date {ledger.extract_date.date()}")
    notes = notes_text(outcome.fit)
    print("training notes:\n" + (notes.rstrip() or "(none)"))

    truth = pd.read_parquet(data_dir / "truth.parquet")
    data = periods(splits, unlabelled(units), outcome.fit.model, truth)
    test = data["test"]
    evaluation = outcome.evaluation
    if not (evaluation.decisions == np.asarray(DECISIONS, object)[test.decision]).all():
        raise SystemExit("the evaluation's decisions differ from the encoder's")
    scores = {
        "model": Scores(
            evaluation.scored["model"].proba, tier_codes(evaluation.scored["model"].tiers)
        ),
        "checklist": Scores(
            evaluation.scored["checklist"].proba, tier_codes(evaluation.scored["checklist"].tiers)
        ),
    }
    for kind in PEERS:
        scores[kind], seconds = peer_scores(kind, data, outcome.fit.model)
        print(f"{kind} fit: " + ", ".join(f"{k} {v:.1f} s" for k, v in seconds.items()))
    scores["oracle"] = oracle_scores(data, outcome.fit.model)
    scores = {k: scores[k] for k in SCORERS}

    got = report_decisions(outcome, test, scores)
    small: list[str] = []
    table = [
        r
        for i, name in enumerate(DECISIONS)
        for r in subgroup_rows(name, test.decision == i, test, scores, small)
    ]
    report_subgroups(table)
    print(f"\nsmaller subgroups (units; not checked): {'; '.join(small) or 'none'}")
    missed = targets_missed(evaluation, outcome.fit.model.policy)
    print(
        "\npolicy targets missed on the test period: "
        + "; ".join(f"{d}: {', '.join(v) or 'none'}" for d, v in missed.items())
    )
    checks = quality_checks(got, table)
    if not args.quick:
        checks += speed(outcome, splits, args.fit_units)
    print()
    for ok, text in checks:
        print(f"{verdict(ok)}  {text}")
    gaps = {
        name: {
            peer: paired_auroc_gap(
                test.y[rows], scores["model"].proba[rows, 2], scores[peer].proba[rows, 2]
            )
            for peer in PEERS
        }
        for i, name in enumerate(DECISIONS)
        if (rows := test.decision == i).any()
    }
    return Population(got, table, gaps)


def report_populations(seeds: list[int], results: list[Population]) -> None:
    """Across independently generated and trained populations: each decision's red AUROC
    per population, the model's gap to each peer (paired bootstrap, combined), and each
    subgroup's O/E red pooled over the populations' test periods, beside the oracle's."""
    print(f"\n## over {len(results)} populations (seeds {', '.join(map(str, seeds))})")
    checks: list[tuple[bool | None, str]] = []
    for name in DECISIONS:
        mine = [r for r in results if name in r.got]
        if not mine:
            continue
        print(f"\n### {name}: red AUROC per population\n")
        print("| seed | " + " | ".join(SCORERS) + " |")
        print("|---|" + "---:|" * len(SCORERS))
        for seed, r in zip(seeds, results, strict=True):
            if name in r.got:
                cells = " | ".join(cell(r.got[name][k]["auroc_red"]) for k in SCORERS)
                print(f"| {seed} | {cells} |")
        means = {k: float(np.mean([r.got[name][k]["auroc_red"] for r in mine])) for k in SCORERS}
        print("| mean | " + " | ".join(cell(means[k]) for k in SCORERS) + " |")
        for peer in PEERS:
            gap = float(np.mean([r.auroc_gaps[name][peer][0] for r in mine]))
            se = float(np.sqrt(sum(r.auroc_gaps[name][peer][1] ** 2 for r in mine))) / len(mine)
            lo, hi = gap - 1.96 * se, gap + 1.96 * se
            checks.append(
                (
                    gap >= 0,
                    f"{name}: model − {peer} red AUROC {gap:+.4f} (95% interval {lo:+.4f} to "
                    f"{hi:+.4f}) over {len(mine)} populations",
                )
            )
        rows: dict[str, list[dict[str, Any]]] = {}
        for r in mine:
            for row in r.table:
                if row["decision"] == name:
                    rows.setdefault(row["group"], []).append(row)
        print(f"\n### {name}: O/E red per subgroup, pooled over the populations\n")
        print("| subgroup | n | n red | model O/E red (95% interval) | oracle O/E red |")
        print("|---|---:|---:|---:|---:|")
        outside = []
        for group, parts in rows.items():
            n = sum(x["n"] for x in parts)
            observed = sum(x["observed_red"] for x in parts)
            expected = sum(x["expected_red"] for x in parts)
            oracle = observed / sum(x["oracle_expected_red"] for x in parts)
            lo, hi = oe_interval(observed, expected)
            oe = observed / expected
            print(
                f"| {group} | {n:,} | {observed:,} | {oe:.3f} ({lo:.2f}–{hi:.2f}) | {oracle:.3f} |"
            )
            if not within(oe, *OE_RANGE):
                consistent = lo <= OE_RANGE[1] and hi >= OE_RANGE[0]
                outside.append(f"{group} {oe:.3f}{'*' if consistent else ''}")
        checks.append(
            (
                not outside,
                f"{name}: pooled O/E red within 0.9–1.1 in each of {len(rows)} subgroups"
                + (
                    f" (outside: {'; '.join(outside)}; *: its 95% interval reaches the band)"
                    if outside
                    else ""
                ),
            )
        )
    print()
    for ok, text in checks:
        print(f"{verdict(ok)}  {text}")


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--households", type=int, default=200_000)
    parser.add_argument("--years", type=int, default=3)
    parser.add_argument(
        "--seed",
        type=lambda v: [int(x) for x in v.split(",")],
        default=[2026],
        help="a seed, or several (2026,7,11): one population each, then a summary over them",
    )
    parser.add_argument("--fit-units", type=int, default=500_000)
    parser.add_argument("--data", type=Path, help="a generated ledger (with truth.parquet)")
    parser.add_argument("--quick", action="store_true", help="skip the speed section")
    args = parser.parse_args()

    if args.data is not None:
        with tempfile.TemporaryDirectory() as tmp:
            print(f"ledger: {args.data.name} (given with --data)")
            run(args.data, Path(tmp), args)
        return
    results = []
    for seed in args.seed:
        with tempfile.TemporaryDirectory() as tmp:
            root = Path(tmp)
            data_dir = root / "data"
            start = time.perf_counter()
            generate_to_dir(data_dir, args.households, args.years, seed, progress=False)
            print(
                f"\n# population: {args.households:,} households x {args.years} years, seed "
                f"{seed}, generated in {time.perf_counter() - start:.1f} s"
            )
            results.append(run(data_dir, root, args))
    if len(results) > 1:
        report_populations(args.seed, results)


if __name__ == "__main__":
    main()
