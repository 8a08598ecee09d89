"""A class-data sharing archive for the local Spark driver's JVM: about 2.5 s less start-up.

Spark's driver loads about 24,000 classes before it has run a scoring job; parsing and
verifying them is most of its start-up on a small machine. The first local run records the
classes it loaded (``-XX:ArchiveClassesAtExit``: about 15 s more at its exit, once); later
runs map the recorded archive (``-XX:SharedArchiveFile``; 17,000 of the classes then come
from it). The archive belongs to one installation (its pyspark jars and its Java
executable), so its name carries a key of both; the JVM also checks it and, should it not
match, starts as it would without it. It lives in the user's cache directory
(``$XDG_CACHE_HOME/risk``, else ``~/.cache/risk``), about 180 MB per installation;
deleting it costs only the next run's recording.

Light on purpose: imports neither pyspark nor numeric libraries until asked for the key.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from risk.atomic import sweep_leftovers, temporary_prefix

__all__ = ["ClassArchive"]

#: How long the JVM may take to write the archive at its exit.
DUMP_SECONDS = 120


@dataclass
class ClassArchive:
    """The archive at ``path``: used when it is there, recorded by this run when not."""

    path: Path

    def __post_init__(self) -> None:
        self._recording: Path | None = None

    @classmethod
    def default(cls) -> ClassArchive | None:
        """This installation's archive in the user's cache directory, or None where the
        directory cannot be made or written, or its path would not survive Spark's option
        splitting."""
        import pyspark

        home = os.environ.get("JAVA_HOME")  # as spark-submit finds its java
        java = os.path.join(home, "bin", "java") if home else shutil.which("java")
        java = os.path.realpath(java or "")
        # a Java upgraded in place keeps its path: its file's size and time tell it apart
        built = os.stat(java) if os.path.isfile(java) else None
        stamp = f"{built.st_size}:{built.st_mtime_ns}" if built else ""
        key = "\0".join([pyspark.__version__, str(Path(pyspark.__file__).parent), java, stamp])
        digest = hashlib.sha256(key.encode()).hexdigest()[:16]
        root = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "risk"
        if any(c.isspace() for c in str(root)):
            return None
        try:
            root.mkdir(parents=True, exist_ok=True)
        except OSError:
            return None
        if not os.access(root, os.W_OK):
            return None  # else each run would record an archive it could not write
        return cls(root / f"spark-driver-{digest}.jsa")

    def java_options(self) -> str:
        """The driver's JVM options: map the archive, or record it at exit (to a temporary
        of this process's own, :mod:`risk.atomic`'s kind, moved into place by :meth:`keep`)."""
        quiet = "-Xlog:cds*=off"  # its warnings about classes it cannot archive go to stdout
        if self.path.is_file():
            return f"-XX:SharedArchiveFile={self.path} {quiet}"
        sweep_leftovers(self.path.parent)  # recordings of killed runs: hundreds of MB each
        self._recording = self.path.with_name(f"{temporary_prefix(self.path.name)}jsa.part")
        return f"-XX:ArchiveClassesAtExit={self._recording} {quiet}"

    @property
    def recording(self) -> bool:
        """Whether this run's JVM writes the archive when it exits."""
        return self._recording is not None

    def keep(self, spark: Any) -> None:
        """When recording: stop Spark, let its JVM exit (it writes the archive as it does),
        and move the archive into place; else nothing."""
        if self._recording is None:
            return
        gateway = spark.sparkContext._gateway
        spark.stop()
        process: subprocess.Popen[bytes] | None = getattr(gateway, "proc", None)
        if process is None or process.stdin is None:
            return
        process.stdin.close()  # Spark's gateway exits when its stdin ends
        try:
            process.wait(timeout=DUMP_SECONDS)
        except subprocess.TimeoutExpired:
            return
        if self._recording.is_file() and self._recording.stat().st_size:
            os.replace(self._recording, self.path)
        self._recording.unlink(missing_ok=True)
