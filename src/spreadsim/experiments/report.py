"""One self-contained HTML page about a sweep: figures (embedded PNG), tables, the experiment
file, the manifest, and plain-language notes on reading each figure.

The page has no external resources (no scripts, fonts or stylesheets to fetch), so it can be
sent by e-mail and opened anywhere.
"""

from __future__ import annotations

import base64
import html
import json
import os
from pathlib import Path
from typing import Any

import pandas as pd

from spreadsim.experiments import store as st
from spreadsim.experiments.analysis import ANALYSIS_DIR, Analysis, analyse

REPORT_FILE = "report.html"
#: Design points shown in full per-point tables; larger designs show the extremes.
MAX_POINT_ROWS = 40

_CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;max-width:1100px;
margin:2em auto;padding:0 1em;color:#222;line-height:1.45}
h1{font-size:1.6em;margin-bottom:.2em} h2{border-bottom:1px solid #ccc;padding-bottom:.2em;
margin-top:2em} .meta{color:#555} figure{margin:1.5em 0} img{max-width:100%;
border:1px solid #ddd} figcaption{font-size:.92em;color:#333;background:#f6f8fa;
padding:.6em .8em;border-left:3px solid #2171b5} table{border-collapse:collapse;
font-size:.85em;margin:.5em 0} th,td{padding:.25em .6em;border-bottom:1px solid #e3e3e3;
text-align:right} th{background:#f0f0f0} td:first-child,th:first-child{text-align:left}
pre{background:#f6f8fa;padding:.8em;overflow-x:auto;font-size:.85em} .note{color:#8a4b00}
details{margin:.6em 0} summary{cursor:pointer;font-weight:600}
"""


def write_report(folder: str | os.PathLike[str], out: str | os.PathLike[str] | None = None,
                 ) -> Path:
    """Write ``report.html`` for a sweep's results folder (analysing it first if needed).

    Args:
        folder: The results folder.
        out: Where to write the page (default ``<folder>/report.html``).

    Returns:
        The path of the page.
    """
    folder = Path(folder)
    info = st.read_info(folder)
    analysis = _analysis(folder)
    path = Path(out) if out is not None else folder / REPORT_FILE
    path.write_text(render(info, analysis), encoding="utf-8")
    return path


def _analysis(folder: Path) -> Analysis:
    """Reuse ``analysis/`` if it is newer than the sweep's last change, else redo it."""
    done = folder / ANALYSIS_DIR / "analysis.json"
    if done.exists() and done.stat().st_mtime >= (folder / st.SWEEP_FILE).stat().st_mtime:
        meta = json.loads(done.read_text(encoding="utf-8"))
        tables = {name: pd.read_csv(folder / ANALYSIS_DIR / file)
                  for name, file in meta["tables"].items()}
        return Analysis(done.parent, tables, meta["figures"], meta["notes"])
    return analyse(folder)


def render(info: dict[str, Any], analysis: Analysis) -> str:
    """The report page as a string."""
    e = html.escape
    parts = [f"<!doctype html><html lang='en'><head><meta charset='utf-8'><title>"
             f"{e(info['name'])}: spreadsim experiment report</title><style>{_CSS}</style>"
             "</head><body>",
             f"<h1>{e(info['name'])}</h1>",
             f"<p>{e(info.get('description') or '')}</p>",
             _overview(info, analysis), _headline(info, analysis)]
    if analysis.notes:
        parts.append("<h2>Notes</h2><ul>" + "".join(f"<li class='note'>{e(n)}</li>"
                                                     for n in analysis.notes) + "</ul>")
    parts.append(_figures(analysis))
    parts.append(_tables(info, analysis))
    parts.append("<h2>Experiment definition</h2>")
    source = info.get("experiment_toml") or json.dumps(info["experiment"], indent=2)
    parts.append(f"<pre>{e(source)}</pre>")
    if info.get("overrides"):
        parts.append(f"<p>Command-line overrides (<code>--set</code>): "
                     f"<code>{e(json.dumps(info['overrides']))}</code></p>")
    parts.append(_manifest(info))
    parts.append("</body></html>")
    return "\n".join(parts)


def _overview(info: dict[str, Any], analysis: Analysis) -> str:
    e = html.escape
    runs = info["n_points"] * info["replications"]
    paired = ("each run paired with a no-hub run on the same random numbers"
              if info["counterfactual"] else "no counterfactual")
    crn = ("common random numbers across design points" if info["common_random_numbers"]
           else "independent random numbers per design point")
    params = ", ".join(f"{p['name']} ({p['key']})" for p in info["parameters"]) or "none"
    return (f"<p class='meta'>{e(info['design_kind'])} design, {info['n_points']} design "
            f"point(s) x {info['replications']} replication(s) = {runs} run(s); {e(paired)}; "
            f"{e(crn)}; root seed {info['seed']}.<br>Parameters: {e(params)}.<br>Status: "
            f"{e(str(info.get('status')))}, finished {e(str(info.get('finished', '-')))} on "
            f"{e(str(info.get('backend', '-')))}; spreadsim "
            f"{e(info['versions'].get('spreadsim', '?'))}, git "
            f"{e(str(info.get('git_revision')))}, spec hash "
            f"<code>{e(info['spec_hash'][:16])}</code>.</p>")


def _headline(info: dict[str, Any], analysis: Analysis) -> str:
    """Key results: per outcome, the average over design points and the best and worst."""
    paired = "effects" in analysis.tables
    table = analysis.tables.get("effects" if paired else "summary")
    if table is None or table.empty:
        return ""
    value = "difference" if paired else "mean"
    params = [c for c in [p["name"] for p in info["parameters"]] if c in table.columns]
    rows = []
    for outcome in list(dict.fromkeys(table["outcome"].astype(str)))[:3]:
        t = table[table["outcome"].astype(str) == outcome].dropna(subset=[value])
        if t.empty:
            continue
        hi, lo = t.loc[t[value].idxmax()], t.loc[t[value].idxmin()]
        row = {"outcome": ("hub effect on " if paired else "") + outcome,
               "average over design points": t[value].mean(),
               "highest": f"{hi[value]:.4g} at {_where(hi, params)}",
               "lowest": f"{lo[value]:.4g} at {_where(lo, params)}"}
        if paired:
            row["points where the 95% CI excludes 0"] = (
                f"{int(((t['ci_low'] > 0) | (t['ci_high'] < 0)).sum())} of {len(t)}")
        rows.append(row)
    if not rows:
        return ""
    what = ("hub minus no hub, paired on the same random numbers" if paired
            else "mean over replications")
    return ("<h2>Key results</h2><p>Per outcome (" + html.escape(what) + "): the average over "
            "all design points, and the design points with the highest and lowest values. "
            "The figures and tables below show the detail and the uncertainty.</p>"
            + _html(pd.DataFrame(rows)))


def _where(row: pd.Series, params: list[str]) -> str:
    parts = []
    for p in params:
        v = row[p]
        text = f"{v:,.0f}" if isinstance(v, float) and abs(v) >= 1000 else f"{v:g}" if \
            isinstance(v, float) else str(v)
        parts.append(f"{p} = {text}")
    return ", ".join(parts) or f"point {row.get('design_index', '-')}"


def _figures(analysis: Analysis) -> str:
    if not analysis.figures:
        return ""
    out = ["<h2>Figures</h2>"]
    for name, note in analysis.figures.items():
        data = base64.b64encode((analysis.folder / name).read_bytes()).decode("ascii")
        out.append(f"<figure><img alt='{html.escape(name)}' src='data:image/png;base64,{data}'>"
                   f"<figcaption><b>How to read it.</b> {html.escape(note)}</figcaption>"
                   "</figure>")
    return "\n".join(out)


def _tables(info: dict[str, Any], analysis: Analysis) -> str:
    out = ["<h2>Tables</h2>",
           "<p>Full tables are in the <code>analysis/</code> folder as CSV files. Intervals are "
           "95% t-intervals over replications (for effects: over paired differences).</p>"]
    t = analysis.tables
    kind = info["design_kind"]
    if kind in t:
        out.append(f"<h3>{'Sobol indices' if kind == 'sobol' else 'Morris screening'}</h3>")
        out.append(_html(t[kind]))
    if "effects" in t:
        out.append("<h3>Hub effect per design point (hub minus no hub)</h3>")
        out.append(_html(_points(t["effects"], "difference")))
    if "summary" in t:
        out.append("<h3>Outcomes per design point</h3>")
        out.append(_html(_points(t["summary"], "mean")))
    if "failures" in t:
        out.append("<h3>Failed runs</h3>")
        out.append(_html(t["failures"].head(MAX_POINT_ROWS)))
    return "\n".join(out)


def _points(table: pd.DataFrame, value: str) -> pd.DataFrame:
    """The first outcome's rows; for large designs, the extremes only."""
    first = table["outcome"].iloc[0]
    rows = table[table["outcome"] == first]
    if len(rows) <= MAX_POINT_ROWS:
        return rows
    ordered = rows.sort_values(value)
    half = MAX_POINT_ROWS // 2
    return pd.concat([ordered.head(half), ordered.tail(half)])


def _html(frame: pd.DataFrame) -> str:
    return frame.to_html(index=False, border=0, na_rep="", float_format=lambda v: f"{v:.4g}")


def _manifest(info: dict[str, Any]) -> str:
    e = html.escape
    core = {k: v for k, v in info.items() if k not in ("experiment_toml", "scenarios",
                                                        "experiment")}
    out = ["<h2>Manifest</h2>",
           "<p>Everything needed to reproduce the runs: the specification and its hash, the "
           "seeding scheme, package versions and the git revision.</p>",
           f"<details><summary>sweep.json (without the scenarios)</summary><pre>"
           f"{e(json.dumps(core, indent=2, default=str))}</pre></details>"]
    for label, scenario in info.get("scenarios", {}).items():
        out.append(f"<details><summary>Base scenario '{e(str(label))}' as run (after "
                   "constants and overrides)</summary><pre>"
                   f"{e(json.dumps(scenario, indent=2, default=str))}</pre></details>")
    return "\n".join(out)
