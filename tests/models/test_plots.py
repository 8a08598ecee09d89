"""Every plot writes a real PNG, also on data with one class only."""

from __future__ import annotations

import matplotlib.image
import numpy as np
import pandas as pd
import pytest

from risk.errors import ModelError
from risk.fairness import INSUFFICIENT, audit
from risk.models.plots import calibration_plot, roc_pr_plot, subgroup_plot, tier_mix_plot

PNG = b"\x89PNG\r\n\x1a\n"


def _assert_png(path, min_bytes=5_000):
    data = path.read_bytes()
    assert data.startswith(PNG) and len(data) > min_bytes
    pixels = matplotlib.image.imread(path)
    assert pixels.shape[0] > 100 and pixels[..., :3].std() > 0.05  # not a blank canvas


def _scored(n: int, seed: int):
    rng = np.random.default_rng(seed)
    proba = rng.dirichlet([8, 2, 1], n)
    y = (rng.random(n)[:, None] > proba.cumsum(axis=1)).sum(axis=1).clip(0, 2)
    tiers = np.array(["green", "yellow", "red"], object)[proba.argmax(axis=1)]
    return rng, proba, y, tiers


def test_plots_write_png_files(tmp_path):
    rng, proba, y, tiers = _scored(500, 0)
    areas = pd.DataFrame(
        {"area": rng.choice(["urban", "rural", "island"], 500, p=[0.5, 0.47, 0.03])}
    )
    table = audit(areas, y, proba, tiers, n_boot=20, minimums=(100, 5))
    assert set(table["status"]) == {"measured", INSUFFICIENT}  # bars and hollow circles
    probas = {"model": proba, "flat": np.full((500, 3), 1 / 3)}
    paths = [
        calibration_plot(y, proba, tmp_path / "c.png"),
        roc_pr_plot(y, probas, tmp_path / "r.png"),
        tier_mix_plot({"model": tiers, "labels": y}, tmp_path / "t.png"),
        subgroup_plot(table, str(tmp_path / "nested" / "s.png")),
    ]
    assert [p.name for p in paths] == ["c.png", "r.png", "t.png", "s.png"]
    for path in paths:
        _assert_png(path)


def test_plots_survive_one_class_and_nan_without_warnings(tmp_path):
    proba = np.tile([0.9, 0.08, 0.02], (50, 1))
    y = np.zeros(50, int)  # no red, no yellow: AUROC undefined, a NaN table
    tiers = np.array(["green"] * 50, object)
    table = audit(pd.DataFrame({"area": ["urban"] * 50}), y, proba, tiers, n_boot=20)
    assert table.loc[table["metric"] == "auroc_red", "figure"].isna().all()
    _assert_png(roc_pr_plot(y, {"model": proba}, tmp_path / "r.png"))
    _assert_png(calibration_plot(y, proba, tmp_path / "c.png"))
    _assert_png(subgroup_plot(table, tmp_path / "s.png"), min_bytes=2_000)


def test_plots_name_a_scorer_with_the_wrong_shape(tmp_path):
    _, proba, y, _ = _scored(100, 1)
    with pytest.raises(ModelError, match="checklist"):
        roc_pr_plot(y, {"model": proba, "checklist": proba[:, :2]}, tmp_path / "r.png")
