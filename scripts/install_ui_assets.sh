#!/usr/bin/env bash
# Install Solara's browser assets into the venv so `spreadsim ui` works with no internet.
#
#   scripts/install_ui_assets.sh            # into $VIRTUAL_ENV (or ./.venv)
#   scripts/install_ui_assets.sh --check    # only report what is missing (exit 1 if any)
#
# Solara's server answers the browser's /_solara/cdn/<path> requests from
# <sys.prefix>/share/solara/cdn/<path> (solara.server.settings.assets.proxy_cache_dir, read by
# solara/server/cdn_helper.py:get_path) and only fetches a missing file from cdn.jsdelivr.net,
# which is unreachable offline and in many NHS networks: the page then stays blank. Each package
# below is fetched once with `npm pack` from the npm registry and unpacked into
# <venv>/share/solara/cdn/<name>@<version as Solara writes it in its URLs>/.
#
# Idempotent and fast on re-run: a folder holding a .spreadsim-version stamp that matches is
# skipped without touching the network. scripts/setup.sh runs this after `pip install`.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
VENV=${VIRTUAL_ENV:-$(pwd)/.venv}
DEST="$VENV/share/solara/cdn"

# <folder name used in Solara's URLs> <exact npm version installed there>
# The folder names come from solara 1.64's templates: server/templates/solara.html.j2
# (vuetify apps, requirejs), server/settings.py (font-awesome), widgets/vue/gridlayout.vue
# (vue-grid-layout) and widgets/vue/vegalite.vue (vega, vega-lite, vega-embed: Solara asks for
# the major version only, so the newest release of that major is pinned here).
PACKAGES=(
    "@widgetti/solara-vuetify-app@10.1.1 10.1.1"
    "@widgetti/solara-vuetify3-app@5.2.0 5.2.0"
    "@widgetti/vue-grid-layout@2.3.13-alpha.2 2.3.13-alpha.2"
    "requirejs@2.3.6 2.3.6"
    "font-awesome@4.5.0 4.5.0"
    "vega@5 5.33.1"
    "vega-lite@5 5.23.0"
    "vega-embed@6 6.29.0"
)

log() { printf '[ui-assets] %s\n' "$*"; }
die() { printf '[ui-assets] ERROR: %s\n' "$*" >&2; exit 1; }

CHECK_ONLY=0
case "${1:-}" in
    "") ;;
    --check) CHECK_ONLY=1 ;;
    *) die "unknown option '$1' (use --check or nothing)" ;;
esac

[ -d "$VENV" ] || die "no venv at $VENV (run scripts/setup.sh, or set VIRTUAL_ENV)"

missing=()
for entry in "${PACKAGES[@]}"; do
    read -r folder version <<<"$entry"
    if [ "$(cat "$DEST/$folder/.spreadsim-version" 2>/dev/null || true)" != "$version" ]; then
        missing+=("$entry")
    fi
done

if [ "${#missing[@]}" -eq 0 ]; then
    log "all ${#PACKAGES[@]} packages present in $DEST"
    exit 0
fi
if [ "$CHECK_ONLY" = 1 ]; then
    for entry in "${missing[@]}"; do log "missing: ${entry% *}"; done
    exit 1
fi

command -v npm >/dev/null 2>&1 \
    || die "npm not found; install it (Debian: apt-get install npm) and re-run $0"

WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
mkdir -p "$DEST"
for entry in "${missing[@]}"; do
    read -r folder version <<<"$entry"
    name=${folder%@*}
    log "fetching $name@$version -> $folder"
    tarball=$(cd "$WORK" && npm pack --silent "$name@$version" | tail -n 1)
    [ -f "$WORK/$tarball" ] || die "npm pack $name@$version produced no tarball"
    unpack="$WORK/unpack-$(basename "$tarball" .tgz)"
    mkdir -p "$unpack"
    tar -xzf "$WORK/$tarball" -C "$unpack" --strip-components=1 --no-same-owner
    echo "$version" > "$unpack/.spreadsim-version"
    # swap the folder in whole, so an interrupted run never leaves a half-filled one behind
    mkdir -p "$(dirname "$DEST/$folder")"
    rm -rf "$DEST/$folder.old"
    [ -e "$DEST/$folder" ] && mv "$DEST/$folder" "$DEST/$folder.old"
    mv "$unpack" "$DEST/$folder"
    rm -rf "$DEST/$folder.old"
done
log "installed ${#missing[@]} package(s) into $DEST"
