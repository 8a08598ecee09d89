"""Atomic writes: the file appears complete or not at all, and what killed writers left
beside it is swept, while a running writer's temporary stays."""

from __future__ import annotations

import pytest
from utils.leftovers import killed_writers_prefix

from risk.atomic import atomic_write, sweep_leftovers, temporary_prefix


def test_atomic_write_appears_only_when_the_block_succeeds(tmp_path):
    target = tmp_path / "scores.parquet"
    with pytest.raises(RuntimeError), atomic_write(target) as tmp:
        tmp.write_bytes(b"half")
        raise RuntimeError("killed")
    assert list(tmp_path.iterdir()) == []
    with atomic_write(target) as tmp:
        assert tmp.name.startswith(temporary_prefix("scores.parquet"))
        tmp.write_bytes(b"whole")
    assert [p.name for p in tmp_path.iterdir()] == ["scores.parquet"]
    assert target.read_bytes() == b"whole"


def test_sweep_removes_what_killed_writers_left_and_keeps_the_rest(tmp_path):
    left_file = tmp_path / f"{killed_writers_prefix('scores.parquet')}abc.part"
    left_dir = tmp_path / f"{killed_writers_prefix('cases')}def.part"
    running = tmp_path / f"{temporary_prefix('scores.parquet')}ghi.part"  # this process's
    others = [tmp_path / "scores.parquet", tmp_path / ".notes.part", tmp_path / "x.part"]
    left_file.write_bytes(b"partial")
    left_dir.mkdir()
    (left_dir / "0").mkdir()
    (left_dir / "0" / "cases.pickle").write_bytes(b"spilled")
    for path in (running, *others):
        path.write_bytes(b"keep")
    assert sorted(sweep_leftovers(tmp_path)) == sorted([left_file, left_dir])
    assert sorted(tmp_path.iterdir()) == sorted([running, *others])


def test_sweep_of_a_missing_directory_removes_nothing(tmp_path):
    assert sweep_leftovers(tmp_path / "nowhere") == []
