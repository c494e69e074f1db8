"""Write a calibration folder: ``calibration.json``, ``calibration.png`` and ``curves.csv``.

The folder is written to a temporary sibling first and renamed into place, so an interrupted or
failed calibration never leaves a half-written folder under the requested name.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd

from spreadsim.calibration.plot import calibration_figure
from spreadsim.loading import to_dict
from spreadsim.results import git_revision, package_versions, staged_folder


def curves_table(report: dict[str, Any]) -> pd.DataFrame:
    """One row per period: observed, model mean and band, Bass and no-peer model shares."""
    sim = report["simulated"]
    table = pd.DataFrame({
        "period": report["observed"]["period"],
        "observed_adopters": report["observed"]["adopters"],
        "observed_share": report["observed"]["share"],
        "model_mean_share": sim["mean_share"],
        "model_low_share": sim["low_share"],
        "model_high_share": sim["high_share"],
        "bass_share": report["bass_curve"]["share"],
    })
    no_peer = report.get("network_pattern", {}).get("no_peer_model")
    if no_peer:
        table["no_peer_model_share"] = no_peer["mean_share"]
    return table


def write_calibration(report: dict[str, Any], out: str | Path, force: bool = False,
                      command: list[str] | None = None) -> Path:
    """Write the report's files into the folder ``out``.

    Raises:
        SpreadsimError: If ``out`` exists and is not empty (without ``force``).
    """
    with staged_folder(out, force) as tmp:
        data = {k: v for k, v in report.items() if k != "config"}
        data["calibration_config"] = to_dict(report["config"]) if "config" in report else None
        data["created"] = datetime.now(UTC).isoformat(timespec="seconds")
        data["command"] = command
        data["versions"] = package_versions()
        data["git_revision"] = git_revision()
        (tmp / "calibration.json").write_text(json.dumps(data, indent=2, default=_json))
        curves_table(report).to_csv(tmp / "curves.csv", index=False)
        name = Path(report["data"]["nodes_file"]).name
        fig = calibration_figure(report, f"Calibration to {name}: {report['data']['providers']}"
                                 f" providers, {report['data']['n_periods']} periods")
        fig.savefig(tmp / "calibration.png", dpi=120)
    return Path(out)


def summary(report: dict[str, Any]) -> str:
    """A few lines a person can read."""
    lines = ["fitted parameters (95% parametric-bootstrap intervals):"]
    for name, p in report["parameters"].items():
        interval = (f"  [{p['interval'][0]:.4g}, {p['interval'][1]:.4g}]" if p["interval"]
                    else "  (no interval: --bootstrap 0)")
        lines.append(f"  {name:<18} {p['value']:.4g}{interval}")
    b, t50, fin = report["bass"], report["t50"], report["final_share"]
    lines.append(f"{report['settings']['replications']} replications per parameter vector, "
                 f"{report['optimiser']['evaluations']} model runs in the fit")
    lines.append(f"rmse_share {report['rmse_share']:.4f} (Bass p={b['p']:.3g} q={b['q']:.3g} "
                 f"m={b['m']:.1f}: {b['rmse_share']:.4f})")
    lines.append(f"t50 observed {t50['observed']}, simulated {t50['simulated']}; final share "
                 f"observed {fin['observed']:.3f}, simulated {fin['simulated']:.3f}")
    pattern = report["network_pattern"]
    text = (f"earlier-nominee share: observed {_fmt(pattern['observed']['all'])}, model "
            f"{_fmt(pattern['calibrated_model']['all'])}")
    if "no_peer_model" in pattern:
        text += f", model without peer influence {_fmt(pattern['no_peer_model']['all'])}"
    text += f", same curve shuffled {_fmt(pattern['same_curve_no_peer']['all'])}"
    lines.append(text)
    return "\n".join(lines)


def _fmt(x: float | None) -> str:
    return "n/a" if x is None else f"{x:.3f}"


def _json(value: Any) -> Any:
    if hasattr(value, "item"):
        return value.item()
    if hasattr(value, "tolist"):
        return value.tolist()
    return str(value)
