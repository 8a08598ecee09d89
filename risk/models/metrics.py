"""The figures every evaluation reports: probability quality, tier outcomes, subgroups.

All functions take label ranks (0 green, 1 yellow, 2 red) and return plain dicts or
frames with stable snake_case names (they become MLflow metric names).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.metrics import average_precision_score, cohen_kappa_score, roc_auc_score

from risk.models.calibration import expected_calibration_error
from risk.models.tiers import TIERS, tier_codes

__all__ = ["agreement", "probability_metrics", "subgroup_table", "tier_metrics"]


def _auroc(positive: np.ndarray, score: np.ndarray) -> float:
    """AUROC, NaN when only one class is present."""
    if positive.all() or not positive.any():
        return float("nan")
    return float(roc_auc_score(positive, score))


def probability_metrics(y: np.ndarray, proba: np.ndarray) -> dict[str, float]:
    """AUROC, PR-AUC, Brier and ECE for each tier one-vs-rest and for yellow-or-red."""
    y = np.asarray(y)
    proba = np.asarray(proba, np.float64)
    targets = {t: (y == i, proba[:, i]) for i, t in enumerate(TIERS)}
    targets["yellow_or_red"] = (y >= 1, 1.0 - proba[:, 0])
    out: dict[str, float] = {}
    for name, (positive, p) in targets.items():
        out[f"auroc_{name}"] = _auroc(positive, p)
        out[f"pr_auc_{name}"] = (
            float(average_precision_score(positive, p)) if positive.any() else float("nan")
        )
        out[f"brier_{name}"] = float(np.mean((p - positive) ** 2))
        out[f"ece_{name}"] = expected_calibration_error(positive, p)
    return out


def tier_metrics(y: np.ndarray, tiers: np.ndarray) -> dict[str, float]:
    """What the tiers achieve: red recall and precision, red share, green safety, mix."""
    y = np.asarray(y)
    rank = tier_codes(np.asarray(tiers, object))
    red, green, is_red = rank == 2, rank == 0, y == 2
    out = {
        "red_recall": float(red[is_red].mean()) if is_red.any() else float("nan"),
        "red_precision": float(is_red[red].mean()) if red.any() else float("nan"),
        "red_share": float(red.mean()),
        "green_npv": float((~is_red[green]).mean()) if green.any() else float("nan"),
        "green_red_rate": float(is_red[green].mean()) if green.any() else float("nan"),
        "yellow_or_red_recall": float((~green)[y >= 1].mean()) if (y >= 1).any() else float("nan"),
    }
    for i, t in enumerate(TIERS):
        out[f"mix_{t}"] = float((rank == i).mean())
    return out


def agreement(tiers: np.ndarray, assessed: pd.Series | np.ndarray) -> dict[str, float]:
    """Agreement with the worker's own tier where one was recorded."""
    assessed = pd.Series(np.asarray(assessed, object))
    present = assessed.notna().to_numpy()
    if not present.any():
        return {"n": 0.0, "exact": float("nan"), "kappa_quadratic": float("nan")}
    ours = tier_codes(np.asarray(tiers, object)[present])
    theirs = tier_codes(assessed[present].astype(str).to_numpy())
    return {
        "n": float(present.sum()),
        "exact": float((ours == theirs).mean()),
        "kappa_quadratic": float(
            cohen_kappa_score(ours, theirs, labels=[0, 1, 2], weights="quadratic")
        ),
    }


def subgroup_table(
    groups: pd.DataFrame, y: np.ndarray, proba: np.ndarray, tiers: np.ndarray
) -> pd.DataFrame:
    """Per subgroup: n, red AUROC, observed/expected red, red share, red FNR, gaps to all."""
    y = np.asarray(y)
    proba = np.asarray(proba, np.float64)
    rank = tier_codes(np.asarray(tiers, object))
    everyone = _group_row(np.ones(y.size, bool), y, proba, rank)
    rows = []
    for column in groups.columns:
        values = groups[column].astype(str).to_numpy()
        for value in sorted(set(values)):
            row = _group_row(values == value, y, proba, rank)
            row.update({"group": column, "value": value})
            for key in ("auroc_red", "observed_expected_red", "red_share", "fnr_red"):
                row[f"{key}_gap"] = row[key] - everyone[key]
            rows.append(row)
    columns = ["group", "value", "n", "auroc_red", "observed_expected_red", "red_share", "fnr_red"]
    table = pd.DataFrame(rows)
    return table[columns + [c for c in table.columns if c.endswith("_gap")]]


def _group_row(mask: np.ndarray, y: np.ndarray, proba: np.ndarray, rank: np.ndarray) -> dict:
    is_red = y[mask] == 2
    expected = proba[mask, 2].sum()
    return {
        "n": int(mask.sum()),
        "auroc_red": _auroc(is_red, proba[mask, 2]),
        "observed_expected_red": float(is_red.sum() / expected) if expected > 0 else float("nan"),
        "red_share": float((rank[mask] == 2).mean()),
        "fnr_red": float((rank[mask][is_red] != 2).mean()) if is_red.any() else float("nan"),
    }
