"""The figures every evaluation reports: probability quality, tier outcomes, agreement.

All functions take label ranks (0 green, 1 yellow, 2 red) and return plain dicts or
frames with stable snake_case names (they become MLflow metric names). A figure that is
undefined on the data given (AUROC with one class, red recall with no red unit) is NaN,
never an error: a decision's test period may hold few events. Subgroup figures, with
their intervals, are :func:`risk.fairness.audit`'s.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from sklearn.metrics import average_precision_score, cohen_kappa_score, roc_auc_score

from risk.errors import ModelError
from risk.models.calibration import expected_calibration_error
from risk.models.tiers import TIERS, tier_codes

__all__ = ["agreement", "probability_metrics", "tier_metrics"]

NAN = float("nan")


def _labels(y: Any) -> np.ndarray:
    y = tier_codes(np.asarray(y).ravel())
    if y.size == 0:
        raise ModelError("y: no labelled units to measure")
    return y


def _proba(proba: Any, n: int) -> np.ndarray:
    p = np.asarray(proba, np.float64)
    if p.shape != (n, 3):
        raise ModelError(f"proba: expected ({n}, 3) for {n} labels, got {p.shape}")
    if not np.isfinite(p).all():
        raise ModelError("proba: contains NaN or infinite values")
    return p


def _tiers(tiers: Any, n: int) -> np.ndarray:
    rank = tier_codes(np.asarray(tiers).ravel())
    if rank.size != n:
        raise ModelError(f"tiers: expected {n} tiers, got {rank.size}")
    return rank


def _share(hit: np.ndarray) -> float:
    """Mean of a boolean array, NaN when empty."""
    return float(hit.mean()) if hit.size else NAN


def _auroc(positive: np.ndarray, score: np.ndarray) -> float:
    """AUROC, NaN when only one class is present."""
    if positive.all() or not positive.any():
        return NAN
    return float(roc_auc_score(positive, score))


def probability_metrics(y: Any, proba: Any) -> dict[str, float]:
    """AUROC, PR-AUC, Brier and ECE for each tier one-vs-rest and for yellow-or-red.

    Keys are ``{auroc,pr_auc,brier,ece,observed_expected,citl}_{green,yellow,red,yellow_or_red}``
    (observed over expected: the class's count over its summed probability; ``citl``,
    calibration in the large: the class's observed rate minus its mean probability);
    P(yellow or red) is ``1 − p_green``.
    """
    y = _labels(y)
    proba = _proba(proba, y.size)
    targets = {t: (y == i, proba[:, i]) for i, t in enumerate(TIERS)}
    targets["yellow_or_red"] = (y >= 1, 1.0 - proba[:, 0])
    out: dict[str, float] = {}
    for name, (positive, p) in targets.items():
        out[f"auroc_{name}"] = _auroc(positive, p)
        out[f"pr_auc_{name}"] = (
            float(average_precision_score(positive, p)) if positive.any() else NAN
        )
        out[f"brier_{name}"] = float(np.mean((p - positive) ** 2))
        out[f"ece_{name}"] = expected_calibration_error(positive, p)
        expected = float(p.sum())
        out[f"observed_expected_{name}"] = float(positive.sum() / expected) if expected else NAN
        out[f"citl_{name}"] = float(positive.mean() - p.mean())
    return out


def tier_metrics(y: Any, tiers: Any) -> dict[str, float]:
    """What the tiers achieve: red recall and precision, red share, green safety, mix.

    ``red_recall``: of red-labelled units, the share tiered red; ``red_precision``: of
    units tiered red, the share labelled red; ``green_npv``: of units tiered green, the
    share not ending red (``green_red_rate`` is the rest); ``yellow_or_red_recall``: of
    units labelled yellow or red, the share not tiered green; ``mix_<tier>``: tier shares.
    """
    y = _labels(y)
    rank = _tiers(tiers, y.size)
    red, green, is_red = rank == 2, rank == 0, y == 2
    out = {
        "red_recall": _share(red[is_red]),
        "red_precision": _share(is_red[red]),
        "red_share": float(red.mean()),
        "green_npv": _share(~is_red[green]),
        "green_red_rate": _share(is_red[green]),
        "yellow_or_red_recall": _share(~green[y >= 1]),
    }
    for i, t in enumerate(TIERS):
        out[f"mix_{t}"] = float((rank == i).mean())
    return out


def agreement(tiers: Any, assessed: Any) -> dict[str, float]:
    """Agreement with the worker's own tier where one was recorded (missing is skipped).

    ``n``: units with an assessed tier; ``exact``: share with the same tier;
    ``kappa_quadratic``: Cohen's kappa with quadratic weights (NaN when both use one tier).
    """
    theirs_all = pd.Series(np.asarray(assessed, object).ravel())
    ours_all = np.asarray(tiers).ravel()
    if ours_all.size != theirs_all.size:
        raise ModelError(f"assessed: expected {ours_all.size} values, got {theirs_all.size}")
    present = theirs_all.notna().to_numpy()
    if not present.any():
        return {"n": 0.0, "exact": NAN, "kappa_quadratic": NAN}
    ours = tier_codes(ours_all[present])
    theirs = tier_codes(theirs_all[present].astype(str).to_numpy())
    if np.unique(np.concatenate([ours, theirs])).size < 2:
        kappa = NAN  # no disagreement is possible by chance: kappa is undefined
    else:
        kappa = float(cohen_kappa_score(ours, theirs, labels=[0, 1, 2], weights="quadratic"))
    return {
        "n": float(present.sum()),
        "exact": float((ours == theirs).mean()),
        "kappa_quadratic": kappa,
    }
