"""Every plot writes a real PNG."""

from __future__ import annotations

import numpy as np
import pandas as pd

from risk.models.metrics import subgroup_table
from risk.models.plots import calibration_plot, roc_pr_plot, subgroup_plot, tier_mix_plot

PNG = b"\x89PNG\r\n\x1a\n"


def test_plots_write_png_files(tmp_path):
    rng = np.random.default_rng(0)
    proba = rng.dirichlet([8, 2, 1], 500)
    y = np.array([rng.choice(3, p=p) for p in proba])
    tiers = np.array(["green", "yellow", "red"], object)[proba.argmax(axis=1)]
    table = subgroup_table(
        pd.DataFrame({"area": rng.choice(["urban", "rural"], 500)}), y, proba, tiers
    )
    paths = [
        calibration_plot(y, proba, tmp_path / "c.png"),
        roc_pr_plot(y, {"model": proba, "flat": np.full((500, 3), 1 / 3)}, tmp_path / "r.png"),
        tier_mix_plot({"model": tiers}, tmp_path / "t.png"),
        subgroup_plot(table, tmp_path / "s.png"),
    ]
    for path in paths:
        data = path.read_bytes()
        assert data.startswith(PNG) and len(data) > 5_000
