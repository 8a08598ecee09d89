"""The data scientist's documented loop on a county's own Excel ledger: ingest with a
mapping file → drift from the champion → train on champion + new → report → promote."""

from __future__ import annotations

import numpy as np
import pandas as pd
import yaml
from utils.fitted import YEARS

from risk.cli import main
from risk.registry import Registry
from risk.schema import CASE, HOUSEHOLD_SURVEY
from risk.synth import generate
from risk.synth.messy import messy_frame

#: The county's own headers for a few fields (the rest use the contract's 中文 headers).
COUNTY_HEADERS = {
    "household_id": "户编号",
    "case_id": "案件编号（本县）",
    "dispute_type": "矛盾类别",
}


def _county_excel(folder, seed: int) -> None:
    pop = generate(3_000, YEARS, seed)
    rng = np.random.default_rng(seed)
    for name, kind, frame in (
        ("households", HOUSEHOLD_SURVEY, pop.households),
        ("cases", CASE, pop.cases),
    ):
        frame = frame.copy()
        for key in ("household_id", "case_id", "grid_id"):
            if key in frame:
                frame[key] = "县-" + frame[key].astype(str)
        messy = messy_frame(rng, kind, frame)
        renames = {kind[f].zh: county for f, county in COUNTY_HEADERS.items() if f in kind}
        messy.rename(columns=renames).to_excel(folder / f"{name}.xlsx", index=False)


def test_county_ledger_goes_through_the_whole_loop(served_ledger, tmp_path, capsys):
    uri, _ = served_ledger
    registry = Registry(uri)
    champion = str(registry.champion().version)
    _county_excel(tmp_path, seed=77)
    mapping = tmp_path / "county.yaml"
    mapping.write_text(
        yaml.safe_dump({"columns": {v: k for k, v in COUNTY_HEADERS.items()}}, allow_unicode=True),
        encoding="utf-8",
    )
    new = tmp_path / "new"
    for kind in ("households", "cases"):
        code = main(
            [
                "ingest",
                str(tmp_path / f"{kind}.xlsx"),
                "--kind",
                kind,
                "--mapping",
                str(mapping),
                "--out",
                str(new / f"{kind}.parquet"),
            ]
        )
        captured = capsys.readouterr()
        assert code == 0, captured.out + captured.err
    assert pd.read_parquet(new / "cases.parquet")["case_id"].str.startswith("县-").all()
    drifted = main(
        ["drift", "--reference", "champion", "--current", str(new), "--tracking-uri", uri]
    )
    printed = capsys.readouterr().out
    verdict = printed.rsplit("verdict: ", 1)[1].split()[0]
    # A county's own ledger, with its own ids and messy spellings, reads as a major shift
    # from the champion's, and the command says so by its exit code too.
    assert (verdict, drifted) == ("major", 1), printed
    try:
        assert (
            main(
                [
                    "train",
                    "--data",
                    str(new),
                    "--base",
                    "champion",
                    "--tracking-uri",
                    uri,
                    "--params",
                    '{"outer_bags": 1, "interactions": 3, "max_rounds": 600}',
                ]
            )
            == 0
        )
        versions = registry.client.search_model_versions("name='risk-triage'")
        version = str(max(int(v.version) for v in versions))
        data = registry.client.get_run(registry.version_of(version).run_id).data.params
        assert data["base_cases_sha256"] and data["cases_sha256"]
        report = tmp_path / "report.html"
        assert (
            main(
                [
                    "report",
                    "--model",
                    version,
                    "--data",
                    str(new),
                    "--out",
                    str(report),
                    "--tracking-uri",
                    uri,
                ]
            )
            == 0
        )
        assert report.stat().st_size > 10_000
        capsys.readouterr()
        # Trained on the champion's ledger and the county's messy one, the candidate is
        # worse than the champion on some gate figures of its held-out units: the gate
        # says which, each with the paired interval of how much worse, and promotes only
        # if no figure is worse beyond that interval's noise.
        promoted = main(["promote", version, "--tracking-uri", uri])
        said = capsys.readouterr()
        flat = " ".join(said.out.split())  # the console wraps long lines
        assert "worse by" in flat, said
        refused = "NO test_" in flat
        assert promoted == (1 if refused else 0), said
        assert refused or "within noise" in flat, said
        assert str(registry.champion().version) == (champion if refused else version)
    finally:
        registry.promote(champion, force=True, reason="restore the test champion")
