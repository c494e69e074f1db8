#!/usr/bin/env bash
# Set up the spreadsim development environment in ./.venv (idempotent).
#
#   bash scripts/setup.sh                   # find Python >= 3.12, create .venv, install .[dev]
#   SPREADSIM_PYTHON=/path/to/python3.12 bash scripts/setup.sh
#
# The `pip install -e ".[dev]"` step is skipped while .venv/.spreadsim-stamp holds
# the sha256 of pyproject.toml, so repeated runs (e.g. every `make test`) are fast.
# Browser tests use Debian's chromium (apt-get install chromium); this script
# never downloads a Playwright browser build.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT=$(pwd)
VENV="$ROOT/.venv"
STAMP="$VENV/.spreadsim-stamp"
UI_HOOK="$ROOT/scripts/install_ui_assets.sh"
UI_STAMP="$VENV/.spreadsim-ui-stamp"
MIN_CHECK='import sys; sys.exit(sys.version_info < (3, 12))'

export PIP_DISABLE_PIP_VERSION_CHECK=1

log() { printf '[setup] %s\n' "$*"; }
die() { printf '[setup] ERROR: %s\n' "$*" >&2; exit 1; }

# True if "$1" runs and is Python >= 3.12 (pyenv shims for inactive versions fail here).
is_ok_python() {
    [ -n "$1" ] && "$1" -c "$MIN_CHECK" >/dev/null 2>&1
}

sha256_of() {
    if command -v sha256sum >/dev/null 2>&1; then
        sha256sum "$1" | cut -d' ' -f1
    else
        "$VENV/bin/python" -c 'import hashlib,sys; print(hashlib.sha256(open(sys.argv[1],"rb").read()).hexdigest())' "$1"
    fi
}

# ---------------------------------------------------------------- find Python
find_python() {
    local cand root
    SEARCHED=()

    if [ -n "${SPREADSIM_PYTHON:-}" ]; then
        SEARCHED+=("\$SPREADSIM_PYTHON=$SPREADSIM_PYTHON")
        if is_ok_python "$SPREADSIM_PYTHON"; then
            PYTHON=$(command -v "$SPREADSIM_PYTHON" || echo "$SPREADSIM_PYTHON")
            return 0
        fi
        # An explicit choice that does not work is an error, not a hint.
        die "SPREADSIM_PYTHON=$SPREADSIM_PYTHON is not a runnable Python >= 3.12. Unset it to let setup.sh search, or point it at e.g. \$(pyenv root)/versions/3.12.1/bin/python3."
    fi

    for cand in python3.13 python3.12 python3; do
        SEARCHED+=("$cand on PATH")
        if command -v "$cand" >/dev/null 2>&1 && is_ok_python "$cand"; then
            PYTHON=$(command -v "$cand")
            return 0
        fi
    done

    # pyenv installs (found even when pyenv is not on PATH), newest first.
    local roots=()
    if command -v pyenv >/dev/null 2>&1; then
        root=$(pyenv root 2>/dev/null || true)
        [ -n "$root" ] && roots+=("$root")
    fi
    [ -n "${PYENV_ROOT:-}" ] && roots+=("$PYENV_ROOT")
    [ -n "${HOME:-}" ] && roots+=("$HOME/.pyenv")
    for root in "${roots[@]}"; do
        SEARCHED+=("$root/versions/3.1[2-9]*/bin/python3")
        [ -d "$root/versions" ] || continue
        while IFS= read -r cand; do
            if is_ok_python "$cand"; then
                PYTHON=$cand
                return 0
            fi
        done < <(ls -d "$root"/versions/3.1[2-9]* 2>/dev/null | sort -rV | sed 's|$|/bin/python3|')
    done

    local dir
    for dir in /usr/local/bin /usr/bin; do
        SEARCHED+=("$dir/python3.1[2-9]")
        while IFS= read -r cand; do
            if is_ok_python "$cand"; then
                PYTHON=$cand
                return 0
            fi
        done < <(ls "$dir"/python3.1[2-9] 2>/dev/null | sort -rV)
    done

    return 1
}

no_python_found() {
    {
        echo "[setup] ERROR: no Python >= 3.12 found (Mesa 3.5 needs Python 3.12 or newer)."
        echo "[setup] Searched:"
        for s in "${SEARCHED[@]}"; do echo "[setup]   - $s"; done
        echo "[setup] Install one, then re-run this script, e.g.:"
        echo "[setup]   pyenv install 3.12            (pyenv installs are found without 'pyenv global')"
        echo "[setup]   apt-get install python3.12 python3.12-venv   (where your distribution has it)"
        echo "[setup]   or the installer from https://www.python.org/downloads/"
        echo "[setup] Or point SPREADSIM_PYTHON at an interpreter: SPREADSIM_PYTHON=/path/to/python3.12 make setup"
    } >&2
    exit 1
}

pyver() { "$1" -c 'import platform; print(platform.python_version())'; }
base_prefix() { "$1" -c 'import os, sys; print(os.path.realpath(sys.base_prefix))'; }

# ---------------------------------------------------------------- venv
# An existing .venv on Python >= 3.12 is kept, unless SPREADSIM_PYTHON names a
# different interpreter. A system Python is only needed to (re)create it.
PYTHON=""
if [ -n "${SPREADSIM_PYTHON:-}" ]; then
    find_python || no_python_found
    log "python: $PYTHON ($(pyver "$PYTHON")) from SPREADSIM_PYTHON"
fi
if [ -e "$VENV" ] && ! is_ok_python "$VENV/bin/python"; then
    log "venv: $VENV is broken or older than Python 3.12, recreating"
    rm -rf "$VENV"
elif [ -n "$PYTHON" ] && [ -x "$VENV/bin/python" ] \
        && [ "$(base_prefix "$PYTHON")" != "$(base_prefix "$VENV/bin/python")" ]; then
    log "venv: $VENV was made with another Python than SPREADSIM_PYTHON, recreating"
    rm -rf "$VENV"
fi
if [ ! -x "$VENV/bin/python" ]; then
    if [ -z "$PYTHON" ]; then
        find_python || no_python_found
        log "python: $PYTHON ($(pyver "$PYTHON"))"
    fi
    log "venv: creating $VENV"
    "$PYTHON" -m venv "$VENV" \
        || die "could not create a venv with $PYTHON (on Debian/Ubuntu: apt-get install python3.X-venv)"
    rm -f "$STAMP" "$UI_STAMP"
else
    log "venv: using existing $VENV (Python $(pyver "$VENV/bin/python"))"
fi
VPY="$VENV/bin/python"

# ---------------------------------------------------------------- install
WANT=$(sha256_of "$ROOT/pyproject.toml")
HAVE=$(cat "$STAMP" 2>/dev/null || true)
INSTALLED=0
if [ "$WANT" = "$HAVE" ]; then
    log "deps: up to date (pyproject.toml unchanged since last install), skipping pip"
else
    log "pip: upgrading pip"
    "$VPY" -m pip install --quiet --progress-bar off --upgrade pip
    log "pip: installing -e \".[dev]\" (first run downloads dependencies; takes a few minutes)"
    rm -f "$STAMP"
    "$VPY" -m pip install --quiet --progress-bar off -e "$ROOT[dev]"
    echo "$WANT" > "$STAMP"
    INSTALLED=1
fi

# ---------------------------------------------------------------- optional UI assets hook
if [ -f "$UI_HOOK" ] && [ -x "$UI_HOOK" ]; then
    UI_WANT=$(sha256_of "$UI_HOOK")
    if [ "$INSTALLED" = 1 ] || [ "$UI_WANT" != "$(cat "$UI_STAMP" 2>/dev/null || true)" ]; then
        log "ui assets: running scripts/install_ui_assets.sh"
        rm -f "$UI_STAMP"
        VIRTUAL_ENV="$VENV" PATH="$VENV/bin:$PATH" "$UI_HOOK"
        echo "$UI_WANT" > "$UI_STAMP"
    else
        log "ui assets: up to date"
    fi
elif [ -f "$UI_HOOK" ]; then
    log "ui assets: scripts/install_ui_assets.sh is not executable, skipping (chmod +x it to enable)"
fi

log "done: use $VENV/bin/python (or: make test / make run)"
