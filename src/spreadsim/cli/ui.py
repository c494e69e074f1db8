"""``spreadsim ui [SCENARIO]``: serve the teaching app (Mesa SolaraViz) on this machine."""

from __future__ import annotations

import argparse
import os
import socket
import sys
from pathlib import Path

#: Solara settings the app needs: serve the front-end from the venv (never from a CDN in the
#: browser, even when started from VS Code, where Solara would otherwise turn its proxy off),
#: and send no usage statistics.
SOLARA_ENV: dict[str, str] = {
    "SOLARA_ASSETS_PROXY": "True",
    "SOLARA_TELEMETRY_MIXPANEL_ENABLE": "False",
}

#: Front-end packages the page loads (folders of <venv>/share/solara/cdn/).
ASSET_FOLDERS: tuple[str, ...] = (
    "@widgetti/solara-vuetify-app@10.1.1", "@widgetti/vue-grid-layout@2.3.13-alpha.2",
    "requirejs@2.3.6", "font-awesome@4.5.0", "vega@5", "vega-lite@5", "vega-embed@6",
)

LOOPBACK = "127.0.0.1"


def _port(text: str) -> int:
    try:
        port = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a port number, got {text!r}") from None
    if not 1 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"expected a port number in 1-65535, got {port}")
    return port


def add_parser(sub: argparse._SubParsersAction) -> None:
    """Register the ``ui`` command."""
    p = sub.add_parser("ui", help="serve the teaching app in your browser (offline)",
                       description="Start the teaching app: watch an innovation spread among "
                       "the providers of a scenario, step by step, in your web browser. The "
                       "server listens on this machine only (127.0.0.1) unless --host says "
                       "otherwise. Stop it with Ctrl+C.")
    p.add_argument("scenario", nargs="?", default=None,
                   help="scenario TOML file (default: scenarios/default_hub.toml); at most "
                   "2,000 providers")
    p.add_argument("--port", type=_port, default=8765, help="port to listen on (default 8765)")
    p.add_argument("--host", default=LOOPBACK,
                   help="address to listen on (default 127.0.0.1: this machine only; "
                   "0.0.0.0 lets other machines on your network connect)")
    p.set_defaults(func=main)


def main(args: argparse.Namespace) -> int:
    """Check the scenario and the port, then hand over to ``solara run``."""
    from spreadsim.errors import SpreadsimError
    from spreadsim.loading import load_scenario
    from spreadsim.viz.teaching import MAX_PROVIDERS, count_providers, default_scenario

    path = Path(args.scenario) if args.scenario else default_scenario()
    if not path.is_file():
        hint = "" if args.scenario else " (pass a scenario file, e.g. scenarios/default_hub.toml)"
        raise SpreadsimError(f"{path}: scenario file not found{hint}")
    cfg = load_scenario(path)
    n = count_providers(cfg)
    if n > MAX_PROVIDERS:
        raise SpreadsimError(
            f"{path}: {n:,} providers is too many for the live view (at most {MAX_PROVIDERS:,}); "
            "use `spreadsim run` for big systems, or a smaller scenario such as "
            "scenarios/default_hub.toml")
    _require_solara()
    _check_port(args.host, args.port)
    missing = _missing_assets()
    if missing:
        print("spreadsim ui: warning: the browser front-end is not installed in this "
              f"environment ({', '.join(missing)}); without internet access the page will stay "
              "blank. Install it with: scripts/install_ui_assets.sh", file=sys.stderr)
    shown = {"0.0.0.0": LOOPBACK, "::": "[::1]"}.get(args.host, args.host)
    shown = f"[{shown}]" if ":" in shown and not shown.startswith("[") else shown
    print(f"spreadsim ui: {cfg.name} ({n} providers) at http://{shown}:{args.port}/ "
          "(Ctrl+C to stop)", flush=True)
    if args.host not in (LOOPBACK, "localhost", "::1"):
        print(f"spreadsim ui: warning: listening on {args.host}: other machines on your network "
              "can open this app", file=sys.stderr, flush=True)
    env = {**os.environ, **SOLARA_ENV, "SPREADSIM_UI_SCENARIO": str(path.resolve())}
    # Solara warns on every page load served to an address other than "localhost" that it
    # cannot set a cross-site cookie; the app is not embedded in other sites, so silence it.
    env["PYTHONWARNINGS"] = ",".join(filter(None, [os.environ.get("PYTHONWARNINGS"),
                                                   "ignore:Cookies with samesite:UserWarning"]))
    argv = [sys.executable, "-m", "solara", "run", "spreadsim.viz.app", "--host", args.host,
            "--port", str(args.port), "--production", "--no-open", "--log-level", "warning"]
    os.execve(sys.executable, argv, env)
    return 0  # pragma: no cover - execve does not return


def _require_solara() -> None:
    from spreadsim.errors import SpreadsimError

    try:
        import mesa.visualization  # noqa: F401
        import solara  # noqa: F401
    except ImportError as exc:
        raise SpreadsimError(f"the teaching app needs the 'ui' extra ({exc.name} is missing): "
                             "pip install 'spreadsim[ui]'") from None


def _check_port(host: str, port: int) -> None:
    """Fail early, with a clear message, if the address cannot be served."""
    from spreadsim.errors import SpreadsimError

    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        raise SpreadsimError(f"--host {host}: not an address of this machine ({exc})") from None
    family, kind, proto, _, address = infos[0]
    with socket.socket(family, kind, proto) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(address)
        except OSError as exc:
            raise SpreadsimError(f"cannot listen on {host}:{port} ({exc.strerror}); is another "
                                 "app using it? Pick another port with --port") from None


def _missing_assets() -> list[str]:
    cdn = Path(sys.prefix) / "share" / "solara" / "cdn"
    return [name for name in ASSET_FOLDERS if not (cdn / name).is_dir()]
