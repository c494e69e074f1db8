"""Benchmarks: spreadsim against idiomatic Mesa and a numpy kernel, from 1,000 to 100,000 providers.

Run ``make bench`` (= ``.venv/bin/python benchmarks/run_all.py``); ``--quick`` is a one-minute
smoke run. Not part of the test suite. Writes ``benchmarks/out/``:

- ``results.csv`` / ``results.md``: per case and size, median and min CPU time, median wall time,
  agent-steps per second (providers x steps / median CPU time) and peak memory;
  ``results.md`` also has the ratios, the curve-equivalence check, the default scenario's
  per-run time, ``england.toml`` and the innovations sweep.
- ``timings_raw.csv``: every timed run.
- ``perf_scaling.png``: CPU time against providers (log-log); ``perf_curves.png``: the mean
  adoption curves of (b), (c) and (d).

Method. The cases (see ``cases.py``) are timed in one process, interleaved (each repeat runs
every case, in a rotating order) so that load on a shared machine hits them alike; the summary
uses the median CPU time (``time.process_time``). Each case's time includes building it (network,
population, agents). Peak memory is measured once per case and size in a fresh subprocess, as
the high-water mark of the whole process (interpreter, imports and the run; Linux ``VmHWM`` from
/proc/self/status, elsewhere ``resource.getrusage(RUSAGE_SELF).ru_maxrss``) and as its increase
over the resident memory just before the build (after imports; ``VmRSS``). ``england.toml`` is
measured as a whole ``spreadsim run`` process under GNU ``/usr/bin/time`` (its "maximum resident
set size"). Case (c) at 100,000 providers takes about half a minute, so its only run is the one in
the memory subprocess.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

import cases  # noqa: E402

SIZES = (1_000, 10_000, 100_000)
#: In-process timed runs per size. The slow cases are capped (CASE_MAX_REPEATS) so that the fast
#: (b) and (d), whose ratio is a target, get enough runs for a steady median on a noisy machine.
REPEATS = {1_000: 25, 10_000: 25, 100_000: 5}
CASE_MAX_REPEATS = {"full": {1_000: 7, 10_000: 5, 100_000: 3},
                    "mesa": {1_000: 7, 10_000: 5, 100_000: 0}}  # (c) at 100k: subprocess run only
MESA_MAX_REPEATS_IN_PROCESS = {n: r for n, r in CASE_MAX_REPEATS["mesa"].items() if r == 0}
EQUIVALENCE_N = 1_000
#: Curve equivalence tolerance: |difference of mean curves| / its standard error, at every step.
#: Two-sided tail of 4.5 SE is 6.8e-6; over 100 steps and 3 pairs at most 0.2% false alarms.
Z_TOLERANCE = 4.5
KS_ALPHA = 0.001  # Kolmogorov-Smirnov test on the step at which half have adopted


# -- measuring ---------------------------------------------------------------------------------

def timed(case: str, n: int, seed: int) -> dict[str, float]:
    """Run one case once in this process; CPU and wall seconds."""
    gc.collect()
    w0, c0 = time.perf_counter(), time.process_time()
    curve, steps = cases.CASES[case](n, seed)
    c1, w1 = time.process_time(), time.perf_counter()
    return {"case": case, "n": n, "seed": seed, "cpu_s": c1 - c0, "wall_s": w1 - w0,
            "steps": steps, "final_share": float(curve[-1])}


def worker(case: str, n: int, seed: int) -> None:
    """Subprocess entry: import everything, note the memory high-water mark, run, report JSON."""
    import spreadsim.model  # noqa: F401
    import spreadsim.runner  # noqa: F401

    cases.full_config(1_000)  # loads and caches the scenario files (as the timed runs had)
    cases.simple_config(1_000)
    gc.collect()
    base = current_rss_kib()
    row = timed(case, n, seed)
    peak = peak_rss_kib()
    row.update(peak_kib=peak, base_kib=base)
    print(json.dumps(row))


def _proc_status_kib(field: str) -> int | None:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        pass
    return None


def current_rss_kib() -> int:
    """Resident memory now (Linux: VmRSS), else the high-water mark so far."""
    now = _proc_status_kib("VmRSS")
    return now if now is not None else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def peak_rss_kib() -> int:
    """This process's peak resident memory.

    Linux: ``VmHWM``, the high-water mark of this program's memory. ``ru_maxrss`` is not used
    there because it survives ``exec``: a child started from this large harness would report at
    least the harness's own size. Elsewhere ``ru_maxrss``.
    """
    hwm = _proc_status_kib("VmHWM")
    return hwm if hwm is not None else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def in_subprocess(case: str, n: int, seed: int) -> dict[str, float]:
    """Run one case in a fresh Python process (memory and a cold-process time)."""
    out = subprocess.run([sys.executable, str(Path(__file__)), "--one", case, str(n), str(seed)],
                         capture_output=True, text=True, check=True, cwd=ROOT)
    return json.loads(out.stdout.strip().splitlines()[-1])


def process_usage(argv: list[str]) -> dict[str, float]:
    """Wall, CPU (user + system) and peak RSS of one command.

    With GNU time (``/usr/bin/time``) the command is its child, so the peak is the command's
    own; otherwise ``os.wait4`` on our child, whose ``ru_maxrss`` may include this harness's
    size (Linux keeps it across ``exec``).
    """
    gnu_time = Path("/usr/bin/time")
    if gnu_time.exists():
        w0 = time.perf_counter()
        out = subprocess.run([str(gnu_time), "-f", "SPREADSIM-TIME %e %U %S %M", *argv],
                             cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                             text=True)
        wall = time.perf_counter() - w0
        line = [x for x in out.stderr.splitlines() if x.startswith("SPREADSIM-TIME")]
        if out.returncode != 0 or not line:
            raise RuntimeError(f"{' '.join(argv)} failed: {out.stderr[-2000:]}")
        _, elapsed, user, system, max_kib = line[-1].split()
        return {"wall_s": float(elapsed) if float(elapsed) > 0 else wall,
                "cpu_s": float(user) + float(system), "peak_mib": int(max_kib) / 1024}
    w0 = time.perf_counter()
    proc = subprocess.Popen(argv, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - w0
    proc.returncode = os.waitstatus_to_exitcode(status)
    err = proc.stderr.read().decode() if proc.stderr else ""
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(argv)} failed ({proc.returncode}): {err[-2000:]}")
    return {"wall_s": wall, "cpu_s": usage.ru_utime + usage.ru_stime,
            "peak_mib": usage.ru_maxrss / 1024}


# -- the parts of the report -------------------------------------------------------------------

def time_cases(sizes: tuple[int, ...], repeats: dict[int, int], log) -> list[dict]:
    """Interleaved in-process timings of the four cases."""
    names = list(cases.CASES)
    for case in names:  # warm up: imports, scenario caches, first-call costs
        cases.CASES[case](1_000, 0)
    rows = []
    for n in sizes:
        for rep in range(repeats[n]):
            order = names[rep % len(names):] + names[:rep % len(names)]
            for case in order:
                if rep >= CASE_MAX_REPEATS.get(case, {}).get(n, repeats[n]):
                    continue
                row = timed(case, n, seed=1000 + rep)
                row["source"] = "in-process"
                rows.append(row)
                log(f"  {case:9s} n={n:>7,} rep {rep + 1}: {row['cpu_s']:.3f} s CPU")
    return rows


def memory_cases(sizes: tuple[int, ...], log) -> list[dict]:
    """One fresh-process run per case and size: peak memory (and a cold-process time)."""
    rows = []
    for n in sizes:
        for case in cases.CASES:
            row = in_subprocess(case, n, seed=1)
            row["source"] = "subprocess"
            rows.append(row)
            log(f"  {case:9s} n={n:>7,}: peak {row['peak_kib'] / 1024:.0f} MiB "
                f"(+{(row['peak_kib'] - row['base_kib']) / 1024:.0f} MiB), "
                f"{row['cpu_s']:.2f} s CPU")
    return rows


def summarise(timings: list[dict], memory: list[dict]):
    """One row per case and size: medians, agent-steps per second and memory."""
    import pandas as pd

    t = pd.DataFrame(timings)
    m = pd.DataFrame(memory).set_index(["case", "n"])
    rows = []
    for (case, n), g in t.groupby(["case", "n"], sort=False):
        inproc = g[g["source"] == "in-process"]
        use = inproc if len(inproc) else g
        cpu = float(use["cpu_s"].median())
        steps = int(use["steps"].iloc[0])
        mem = m.loc[(case, n)]
        rows.append({"case": case, "label": cases.LABELS[case], "providers": int(n),
                     "runs_timed": len(use), "timing_source": use["source"].iloc[0],
                     "cpu_s_median": cpu, "cpu_s_min": float(use["cpu_s"].min()),
                     "wall_s_median": float(use["wall_s"].median()), "steps": steps,
                     "agent_steps_per_s": n * steps / cpu,
                     "peak_rss_mib": mem["peak_kib"] / 1024,
                     "rss_increase_mib": max(mem["peak_kib"] - mem["base_kib"], 0) / 1024})
    return pd.DataFrame(rows)


def equivalence(replications: int, log):
    """Mean curves of (b), (c), (d) over replications, and pairwise tests."""
    import pandas as pd
    from scipy import stats

    curves = {}
    for case in ("spreadsim", "mesa", "kernel"):
        curves[case] = np.array([cases.CASES[case](EQUIVALENCE_N, 10_000 + r)[0]
                                 for r in range(replications)])
        log(f"  {case}: {replications} replications at n = {EQUIVALENCE_N:,}")
    rows = []
    for a, b in (("spreadsim", "kernel"), ("spreadsim", "mesa"), ("mesa", "kernel")):
        x, y = curves[a], curves[b]
        diff = x.mean(axis=0) - y.mean(axis=0)
        se = np.sqrt(x.var(axis=0, ddof=1) / len(x) + y.var(axis=0, ddof=1) / len(y))
        z = np.divide(np.abs(diff), se, out=np.where(diff == 0, 0.0, np.inf), where=se > 0)
        worst = int(z.argmax())
        t50 = [(c >= 0.5).argmax(axis=1) for c in (x, y)]
        ks = stats.ks_2samp(*t50)
        ok = bool(z.max() < Z_TOLERANCE and ks.pvalue > KS_ALPHA)
        rows.append({"pair": f"{a} vs {b}", "max_abs_z": float(z.max()), "at_step": worst,
                     "max_abs_diff": float(np.abs(diff).max()),
                     "mean_t50_a": float(t50[0].mean()), "mean_t50_b": float(t50[1].mean()),
                     "ks_statistic": float(ks.statistic), "ks_pvalue": float(ks.pvalue),
                     "pass": ok})
    return pd.DataFrame(rows), curves


def build_split(n: int, repeats: int) -> list[dict]:
    """Where (b)'s and (d)'s time goes at one size: build versus 100 steps (median CPU)."""
    import kernel
    from simple_dynamics import REWIRING, STEPS, K

    from spreadsim.model import SpreadModel

    cfg = cases.simple_config(n)
    rows = []
    for rep in range(repeats):
        gc.collect()
        c0 = time.process_time()
        model = SpreadModel(cfg, rng=rep)
        c1 = time.process_time()
        model.run_for(STEPS)
        c2 = time.process_time()
        kernel.watts_strogatz(n, K, REWIRING, np.random.default_rng(rep))
        c3 = time.process_time()
        kernel.run(n, rep)
        c4 = time.process_time()
        rows.append({"spreadsim_build": c1 - c0, "spreadsim_steps": c2 - c1,
                     "kernel_build": c3 - c2, "kernel_steps": (c4 - c3) - (c3 - c2)})
    return rows


def default_scenario(runs: int) -> dict[str, float]:
    """Per-run CPU time of scenarios/default_hub.toml (84 months), after import."""
    from spreadsim.loading import load_scenario
    from spreadsim.model import SpreadModel
    from spreadsim.runner import run_replication

    cfg = load_scenario(ROOT / "scenarios" / "default_hub.toml")
    model_t, rep_t = [], []
    run_replication(cfg, 1, 0)
    for r in range(runs):
        gc.collect()
        c0 = time.process_time()
        SpreadModel(cfg, rng=1, replication=r).run_for(cfg.time.n_steps)
        c1 = time.process_time()
        run_replication(cfg, 1, r)
        c2 = time.process_time()
        model_t.append(c1 - c0)
        rep_t.append(c2 - c1)
    return {"runs": runs, "model_ms_median": 1000 * float(np.median(model_t)),
            "model_ms_min": 1000 * float(np.min(model_t)),
            "replication_ms_median": 1000 * float(np.median(rep_t)),
            "replication_ms_min": 1000 * float(np.min(rep_t))}


def england(repeats: int, log) -> list[dict]:
    """The whole ``spreadsim run scenarios/england.toml`` process: wall, CPU, peak RSS."""
    exe = Path(sys.executable).with_name("spreadsim")
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for r in range(repeats):
            row = process_usage([str(exe), "run", "scenarios/england.toml", "--out",
                                 str(Path(tmp) / "england"), "--force"])
            rows.append(row)
            log(f"  england run {r + 1}: {row['wall_s']:.2f} s wall, {row['cpu_s']:.2f} s CPU, "
                f"peak {row['peak_mib']:.0f} MiB")
        rows.append({**process_usage([sys.executable, "-c", "import spreadsim.runner, "
                                      "spreadsim.results, spreadsim.cli"]), "import_only": True})
    return rows


def innovations_sweep(n: int, copies: tuple[int, ...], repeats: int, log) -> list[dict]:
    """Case (a) at a fixed size with each innovation repeated: time against innovations."""
    rows = []
    for rep in range(repeats):
        for c in copies:
            gc.collect()
            c0 = time.process_time()
            cases.run_full(n, 2000 + rep, innovation_copies=c)
            cpu = time.process_time() - c0
            j = len(cases.full_config(n, c).innovations) * c
            rows.append({"providers": n, "innovations": j, "cpu_s": cpu})
            log(f"  n={n:,} innovations={j}: {cpu:.2f} s CPU")
    return rows


# -- output ------------------------------------------------------------------------------------

def plot_scaling(summary, path: Path) -> None:
    """Log-log CPU time against providers for the four cases, with a slope-1 guide."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 5), dpi=120)
    styles = {"full": ("tab:purple", "D"), "spreadsim": ("tab:blue", "o"),
              "mesa": ("tab:red", "s"), "kernel": ("tab:green", "^")}
    for case, g in summary.groupby("case", sort=False):
        color, marker = styles[case]
        ax.plot(g["providers"], g["cpu_s_median"], marker=marker, color=color,
                label=cases.LABELS[case])
    k = summary[summary["case"] == "kernel"].sort_values("providers")
    if len(k):
        x = np.array([k["providers"].min(), k["providers"].max()], dtype=float)
        ax.plot(x, k["cpu_s_median"].iloc[0] * x / x[0], ":", color="grey",
                label="linear growth (slope 1), through (d)")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("providers (agents)")
    ax.set_ylabel("CPU seconds per run (median; build included)")
    ax.set_title("Time against size: (b)-(d) 100 steps of the same contagion;\n"
                 "(a) 84 months of the full model with tables")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=8, loc="upper left")
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def plot_curves(curves: dict[str, np.ndarray], path: Path) -> None:
    """Mean adopted share per step of (b), (c), (d) with 95% bands."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 4.5), dpi=120)
    styles = {"spreadsim": ("tab:blue", "-"), "mesa": ("tab:red", "--"),
              "kernel": ("tab:green", ":")}
    for case, c in curves.items():
        color, ls = styles[case]
        m = c.mean(axis=0)
        half = 1.96 * c.std(axis=0, ddof=1) / np.sqrt(len(c))
        steps = np.arange(len(m))
        ax.fill_between(steps, m - half, m + half, color=color, alpha=0.2, lw=0)
        ax.plot(steps, m, ls, color=color, label=f"{cases.LABELS[case]} ({len(c)} runs)")
    ax.set_xlim(0, 40)
    ax.set_xlabel("step")
    ax.set_ylabel("adopted share (mean, 95% band)")
    ax.set_title(f"The same dynamics in three implementations (n = {EQUIVALENCE_N:,})")
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize=8, loc="lower right")
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def markdown_table(df, floatfmt: dict[str, str] | None = None) -> str:
    """A GitHub Markdown table (no tabulate dependency)."""
    floatfmt = floatfmt or {}
    cols = list(df.columns)
    lines = ["| " + " | ".join(cols) + " |", "|" + "|".join("---" for _ in cols) + "|"]
    for r in df.itertuples(index=False):  # keeps each column's type (iterrows would not)
        cells = []
        for c, v in zip(cols, r, strict=True):
            if isinstance(v, float | np.floating):
                cells.append(format(v, floatfmt.get(c, ".3g")))
            elif isinstance(v, int | np.integer) and not isinstance(v, bool | np.bool_):
                cells.append(f"{v:,}")
            else:
                cells.append(str(v))
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def environment() -> dict[str, str]:
    """Versions, machine and git revision."""
    import mesa
    import networkx
    import pandas
    import scipy

    try:
        rev = subprocess.run(["git", "describe", "--always", "--dirty"], cwd=ROOT,
                             capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        rev = "unknown"
    return {"python": platform.python_version(), "numpy": np.__version__,
            "scipy": scipy.__version__, "pandas": pandas.__version__,
            "mesa": mesa.__version__, "networkx": networkx.__version__,
            "machine": f"{platform.machine()}, {os.cpu_count()} CPUs, {platform.system()}",
            "git": rev, "date": time.strftime("%Y-%m-%d %H:%M")}


def write_markdown(path: Path, env, summary, eq, default, eng, sweep, load, split) -> None:
    """benchmarks/out/results.md."""
    import pandas as pd

    s = summary
    out = ["# spreadsim benchmarks", "",
           "Made by `make bench` (`benchmarks/run_all.py`); see docs/performance.md.", "",
           "Environment: " + ", ".join(f"{k} {v}" for k, v in env.items()) + ".",
           f"Load average (1 min) at start / end: {load[0]:.1f} / {load[1]:.1f}.", "",
           "## Time and memory per run", "",
           "CPU time is the median over interleaved in-process runs (build included); "
           "agent-steps/s = providers x steps / median CPU time; peak RSS is the high-water "
           "mark (VmHWM) of a fresh process running the case once, RSS increase that peak "
           "less the resident memory just before the build (after imports).", ""]
    cols = ["case", "providers", "runs_timed", "cpu_s_median", "cpu_s_min", "wall_s_median",
            "agent_steps_per_s", "peak_rss_mib", "rss_increase_mib"]
    out.append(markdown_table(s[cols], {"agent_steps_per_s": ".3g", "peak_rss_mib": ".0f",
                                        "rss_increase_mib": ".0f"}))
    out += ["", "(a) full = " + cases.LABELS["full"] + ". (b)-(d): 100 steps of the simple "
            "dynamics. (c) at 100,000: one run, in the memory subprocess.", "",
            "## Ratios of median CPU time", ""]
    piv = s.pivot(index="providers", columns="case", values="cpu_s_median")
    ratios = pd.DataFrame({"providers": piv.index.astype(int),
                           "(c) Mesa / (b) spreadsim": piv["mesa"] / piv["spreadsim"],
                           "(b) spreadsim / (d) kernel": piv["spreadsim"] / piv["kernel"],
                           "(c) Mesa / (d) kernel": piv["mesa"] / piv["kernel"]})
    out.append(markdown_table(ratios, {c: ".1f" for c in ratios.columns}))
    sp_ = pd.DataFrame(split).median()
    out += ["", "Where the time goes at 10,000 providers (median CPU ms; the kernel's steps are "
            "its run less its network):", "",
            markdown_table(pd.DataFrame([{
                "case": "(b) spreadsim", "build_ms": 1000 * sp_["spreadsim_build"],
                "100_steps_ms": 1000 * sp_["spreadsim_steps"]}, {
                "case": "(d) kernel", "build_ms": 1000 * sp_["kernel_build"],
                "100_steps_ms": 1000 * sp_["kernel_steps"]}]),
                {"build_ms": ".1f", "100_steps_ms": ".1f"})]
    out += ["", f"## Same dynamics? (n = {EQUIVALENCE_N:,})", "",
            f"Pass if, at every step, the difference of mean curves is below {Z_TOLERANCE} "
            "standard errors (two-sided tail 6.8e-6 per step; at most 0.2% false alarms over "
            f"100 steps and 3 pairs), and a two-sample KS test on the step at which half have "
            f"adopted gives p > {KS_ALPHA}.", ""]
    out.append(markdown_table(eq, {"max_abs_z": ".2f", "max_abs_diff": ".4f",
                                   "mean_t50_a": ".2f", "mean_t50_b": ".2f",
                                   "ks_statistic": ".3f", "ks_pvalue": ".3g"}))
    out += ["", "## The default scenario (scenarios/default_hub.toml, 84 months)", "",
            f"Per run, after import, median of {default['runs']} runs (CPU): model build + 84 "
            f"steps {default['model_ms_median']:.1f} ms (min {default['model_ms_min']:.1f}); "
            f"with tables and metrics (runner.run_replication) "
            f"{default['replication_ms_median']:.1f} ms (min {default['replication_ms_min']:.1f}).",
            "", "## england.toml (the whole `spreadsim run` process)", ""]
    runs = [r for r in eng if not r.get("import_only")]
    imp = [r for r in eng if r.get("import_only")]
    e = pd.DataFrame(runs)
    out.append(f"{len(runs)} runs: wall median {e['wall_s'].median():.2f} s, CPU median "
               f"{e['cpu_s'].median():.2f} s, peak RSS max {e['peak_mib'].max():.0f} MiB. "
               + (f"Of which importing spreadsim: {imp[0]['wall_s']:.2f} s wall, "
                  f"{imp[0]['peak_mib']:.0f} MiB." if imp else ""))
    if sweep:
        sw = pd.DataFrame(sweep).groupby(["providers", "innovations"], as_index=False)[
            "cpu_s"].median()
        sw["us_per_provider_innovation_month"] = 1e6 * sw["cpu_s"] / (
            sw["providers"] * sw["innovations"] * 84)
        out += ["", "## Time against innovations ((a) at fixed size, median CPU)", "",
                markdown_table(sw, {"cpu_s": ".2f", "us_per_provider_innovation_month": ".2f"})]
    full = s[s["case"] == "full"].sort_values("providers")
    if len(full) > 1:
        full = full.assign(us_per_provider_month=1e6 * full["cpu_s_median"]
                           / (full["providers"] * 84))
        out += ["", "## Time against providers ((a), median CPU)", "",
                markdown_table(full[["providers", "cpu_s_median", "us_per_provider_month"]],
                               {"us_per_provider_month": ".2f"})]
    path.write_text("\n".join(out) + "\n")


# -- main --------------------------------------------------------------------------------------

def main(argv: list[str] | None = None) -> int:
    """Run everything and write benchmarks/out/."""
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--quick", action="store_true",
                   help="smoke run: 1,000 and 10,000 providers, fewer repeats and replications")
    p.add_argument("--out", type=Path, default=HERE / "out", help="output folder")
    p.add_argument("--replications", type=int, default=100,
                   help="replications per case for the curve-equivalence check (default 100)")
    p.add_argument("--one", nargs=3, metavar=("CASE", "N", "SEED"), help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.one:
        worker(args.one[0], int(args.one[1]), int(args.one[2]))
        return 0
    import pandas as pd

    sizes = SIZES[:2] if args.quick else SIZES
    repeats = {1_000: 3, 10_000: 2} if args.quick else REPEATS
    replications = min(args.replications, 30) if args.quick else args.replications
    args.out.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()

    def log(msg: str) -> None:
        print(f"[{time.perf_counter() - t0:6.1f} s] {msg}", flush=True)

    load = [os.getloadavg()[0]]
    env = environment()
    log("timing the four cases (interleaved)")
    timings = time_cases(sizes, repeats, log)
    log("peak memory, one fresh process per case and size")
    memory = memory_cases(sizes, log)
    timings += [r for r in memory if r["case"] == "mesa" and r["n"] in
                MESA_MAX_REPEATS_IN_PROCESS and r["n"] in sizes]
    summary = summarise(timings, memory)
    log("curve equivalence of (b), (c), (d)")
    eq, curves = equivalence(replications, log)
    log("build / steps split of (b) and (d) at 10,000")
    split = build_split(10_000, 3 if args.quick else 7)
    log("default scenario, per run")
    default = default_scenario(10 if args.quick else 50)
    log("england.toml, whole process")
    eng = england(1 if args.quick else 3, log)
    log("innovations sweep")
    sweep = innovations_sweep(10_000, (1, 4) if args.quick else (1, 4, 16),
                              1 if args.quick else 3, log)
    load.append(os.getloadavg()[0])

    pd.DataFrame(timings).to_csv(args.out / "timings_raw.csv", index=False)
    summary.to_csv(args.out / "results.csv", index=False)
    eq.to_csv(args.out / "equivalence.csv", index=False)
    plot_scaling(summary, args.out / "perf_scaling.png")
    plot_curves(curves, args.out / "perf_curves.png")
    write_markdown(args.out / "results.md", env, summary, eq, default, eng, sweep, load, split)
    (args.out / "environment.json").write_text(json.dumps(env, indent=2) + "\n")
    log(f"done; wrote {args.out}/ (results.md, results.csv, equivalence.csv, "
        "timings_raw.csv, perf_scaling.png, perf_curves.png)")
    print((args.out / "results.md").read_text())
    return 0 if bool(eq["pass"].all()) else 1


if __name__ == "__main__":
    sys.exit(main())
