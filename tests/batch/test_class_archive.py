"""The local Spark driver's class-data archive: mapped when there, recorded when not, kept
only when complete; one per installation, in the user's cache directory."""

from __future__ import annotations

import subprocess
import sys
from types import SimpleNamespace

import pytest
from utils.leftovers import killed_writers_prefix

from risk.atomic import temporary_prefix
from risk.batch.class_archive import ClassArchive


def test_an_archive_that_is_there_is_mapped(tmp_path):
    path = tmp_path / "spark-driver-abc.jsa"
    path.write_bytes(b"archive")
    archive = ClassArchive(path)
    options = archive.java_options()
    assert f"-XX:SharedArchiveFile={path}" in options and "ArchiveClassesAtExit" not in options
    assert not archive.recording


def test_a_missing_archive_is_recorded_beside_it_under_a_name_of_its_own(tmp_path):
    archive = ClassArchive(tmp_path / "spark-driver-abc.jsa")
    options = archive.java_options()
    assert archive.recording and "SharedArchiveFile" not in options
    recording = options.split("-XX:ArchiveClassesAtExit=")[1].split()[0]
    assert recording == str(tmp_path / f"{temporary_prefix('spark-driver-abc.jsa')}jsa.part")


def test_recordings_left_by_killed_runs_are_removed(tmp_path):
    killed = tmp_path / f"{killed_writers_prefix('spark-driver-abc.jsa')}jsa.part"
    running = tmp_path / f"{temporary_prefix('spark-driver-def.jsa')}jsa.part"  # recording now
    for path in (killed, running):
        path.write_bytes(b"partial")
    ClassArchive(tmp_path / "spark-driver-abc.jsa").java_options()
    assert not killed.exists()
    assert running.exists()


def _gateway(tmp_path, writes: bytes):
    """A stand-in for Spark's gateway process: on the end of its stdin it writes ``writes``
    to the recording, as the JVM writes the archive when it exits."""
    target = tmp_path / f"{temporary_prefix('spark-driver-abc.jsa')}jsa.part"
    script = f"import sys; sys.stdin.read(); open({str(target)!r}, 'wb').write({writes!r})"
    proc = subprocess.Popen([sys.executable, "-c", script], stdin=subprocess.PIPE)
    stopped = []
    spark = SimpleNamespace(
        sparkContext=SimpleNamespace(_gateway=SimpleNamespace(proc=proc)),
        stop=lambda: stopped.append(True),
    )
    return spark, stopped


def test_keep_stops_spark_and_moves_the_finished_recording_into_place(tmp_path):
    archive = ClassArchive(tmp_path / "spark-driver-abc.jsa")
    archive.java_options()
    spark, stopped = _gateway(tmp_path, b"classes")
    archive.keep(spark)
    assert stopped == [True]
    assert archive.path.read_bytes() == b"classes"
    assert [p.name for p in tmp_path.iterdir()] == ["spark-driver-abc.jsa"]


def test_keep_leaves_no_archive_when_the_jvm_wrote_none(tmp_path):
    archive = ClassArchive(tmp_path / "spark-driver-abc.jsa")
    archive.java_options()
    spark, _ = _gateway(tmp_path, b"")
    archive.keep(spark)
    assert list(tmp_path.iterdir()) == []


def test_keep_does_nothing_when_the_archive_was_mapped(tmp_path):
    path = tmp_path / "spark-driver-abc.jsa"
    path.write_bytes(b"archive")
    archive = ClassArchive(path)
    archive.java_options()
    archive.keep(object())  # touches nothing: Spark goes on
    assert path.read_bytes() == b"archive"


def test_the_default_archive_is_one_per_installation_in_the_cache_directory(tmp_path, monkeypatch):
    pytest.importorskip("pyspark")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    first, second = ClassArchive.default(), ClassArchive.default()
    assert first is not None and second is not None
    assert first.path == second.path
    assert first.path.parent == tmp_path / "risk" and first.path.parent.is_dir()
    assert first.path.name.startswith("spark-driver-") and first.path.suffix == ".jsa"


def test_no_default_archive_where_spark_would_split_its_path(tmp_path, monkeypatch):
    pytest.importorskip("pyspark")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "my cache"))
    assert ClassArchive.default() is None
