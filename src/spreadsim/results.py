"""Results folders: tables as Parquet (or CSV), ``manifest.json`` and ``adoption.png``.

A folder is written to a temporary sibling first and renamed into place, so an interrupted run
never leaves a half-written folder under the requested name. Plots read these tables; they never
rerun models.
"""

from __future__ import annotations

import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from spreadsim.errors import SpreadsimError

if TYPE_CHECKING:
    from spreadsim.runner import RunResult

FORMATS = ("parquet", "csv")
PACKAGES = ("spreadsim", "mesa", "numpy", "scipy", "pandas", "pyarrow", "matplotlib", "networkx",
            "salib", "distributed")
STREAM_SCHEME = ("numpy.random.SeedSequence(seed, spawn_key=(replication, stream)) with stream "
                 "0 network, 1 population, 2 dynamics (mesa Model.rng), 3 hubs, 4 innovators, "
                 "5 shocks; both arms of a replication share every stream")


def package_versions() -> dict[str, str]:
    """Installed versions of spreadsim and the packages its results depend on."""
    out = {"python": platform.python_version()}
    for name in PACKAGES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = "not installed"
    return out


def git_revision() -> str | None:
    """Commit of the spreadsim source tree (with ``-dirty`` if modified), if it is a checkout."""
    here = Path(__file__).resolve().parent
    try:
        out = subprocess.run(["git", "-C", str(here), "describe", "--always", "--dirty",
                              "--abbrev=12"], capture_output=True, text=True, timeout=5)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return out.stdout.strip() or None if out.returncode == 0 else None


def check_output_dir(out: Path, force: bool) -> None:
    """Refuse to write into an existing non-empty folder unless ``force``."""
    if out.exists() and not out.is_dir():
        raise SpreadsimError(f"{out}: expected a folder for results, got an existing file")
    if out.is_dir() and any(out.iterdir()) and not force:
        raise SpreadsimError(f"{out}: results folder already exists and is not empty; choose "
                             "another --out or pass --force to replace it")


@contextmanager
def staged_folder(out: str | Path, force: bool = False) -> Iterator[Path]:
    """Write a results folder atomically: yield a temporary sibling, then rename it to ``out``.

    Refuses an existing non-empty ``out`` unless ``force`` (then it is replaced). If the body
    raises, the temporary folder is removed and ``out`` is left as it was.
    """
    out = Path(out)
    check_output_dir(out, force)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
    try:
        yield tmp
        if out.exists():
            shutil.rmtree(out)
        os.replace(tmp, out)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)


def write_table(df: pd.DataFrame, path_stem: Path, fmt: str) -> Path:
    """Write one table as ``<stem>.parquet`` (zstd) or ``<stem>.csv``."""
    if fmt == "parquet":
        path = path_stem.with_suffix(".parquet")
        df.to_parquet(path, compression="zstd", index=False)
    else:
        path = path_stem.with_suffix(".csv")
        df.to_csv(path, index=False)
    return path


def write_results(result: RunResult, out: str | Path, fmt: str = "parquet", force: bool = False,
                  command: list[str] | None = None) -> Path:
    """Write a run's tables, manifest and adoption figure into the folder ``out``.

    Raises:
        SpreadsimError: If ``out`` exists and is not empty (without ``force``) or ``fmt`` is
            unknown.
    """
    from spreadsim.plots import adoption_figure

    if fmt not in FORMATS:
        raise SpreadsimError(f"--format: expected one of {', '.join(FORMATS)}, got {fmt!r}")
    with staged_folder(out, force) as tmp:
        files = {name: write_table(df, tmp / name, fmt).name
                 for name, df in result.tables.items()}
        fig = adoption_figure(result.tables["adoption"], title=_title(result),
                              funding_end=result.config.funding_end if result.config.hubs
                              else None)
        fig.savefig(tmp / "adoption.png", dpi=120)
        import matplotlib.pyplot as plt

        plt.close(fig)
        manifest = _manifest(result, files, fmt, command)
        (tmp / "manifest.json").write_text(json.dumps(manifest, indent=2, default=_json))
    return Path(out)


def _title(result: RunResult) -> str:
    cf = ", with no-hub counterfactual (dashed)" if result.counterfactual else ""
    return (f"{result.config.name}: adoption over time\n{result.replications} replication(s), "
            f"seed {result.seed}{cf}")


def _json(value: Any) -> Any:
    if hasattr(value, "item"):
        return value.item()
    return str(value)


def _manifest(result: RunResult, files: dict[str, str], fmt: str,
              command: list[str] | None) -> dict[str, Any]:
    from spreadsim.loading import to_dict

    return {
        "spreadsim_results": 1,
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "command": command if command is not None else sys.argv,
        "scenario": result.config.name,
        "seed": result.seed,
        "replications": result.replications,
        "counterfactual": result.counterfactual,
        "stream_scheme": STREAM_SCHEME,
        "format": fmt,
        "tables": {name: {"file": f, "rows": len(result.tables[name]),
                          "columns": list(result.tables[name].columns)}
                   for name, f in files.items()},
        "figures": ["adoption.png"],
        "timings": result.timings,
        "versions": package_versions(),
        "git_revision": git_revision(),
        "platform": platform.platform(),
        "config": to_dict(result.config),
    }


def read_results(folder: str | Path) -> tuple[dict[str, pd.DataFrame], dict[str, Any]]:
    """Read a results folder back: its tables by name and its manifest."""
    folder = Path(folder)
    path = folder / "manifest.json"
    if not path.is_file():
        raise SpreadsimError(f"{folder}: expected a spreadsim results folder with manifest.json,"
                             " found none")
    manifest = json.loads(path.read_text())
    tables = {}
    for name, info in manifest["tables"].items():
        f = folder / info["file"]
        tables[name] = pd.read_parquet(f) if f.suffix == ".parquet" else pd.read_csv(f)
    return tables, manifest
