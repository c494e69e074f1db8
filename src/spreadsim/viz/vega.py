"""A Vega-Lite chart widget for the teaching app, tuned for redrawing after every step.

``solara.FigureAltair`` sends the spec as a nested dictionary, which Solara walks on every
redraw, and waits 100 ms before drawing it. Here the spec travels as one JSON string and is
drawn as soon as it arrives; the previous Vega view is finalised so nothing leaks. The
front-end libraries (vega, vega-lite, vega-embed) are the ones Solara serves from the venv.
"""

from __future__ import annotations

import json
from typing import Any

import ipyvuetify as v
import traitlets

_TEMPLATE = r"""
<template>
  <div class="spreadsim-vega" style="width: 100%"><div ref="plot"></div></div>
</template>
<script>
module.exports = {
  mounted() { this.draw(); },
  beforeDestroy() {
    if (this.observer) { this.observer.disconnect(); }
    if (this.view) { this.view.finalize(); this.view = null; }
  },
  watch: { spec() { this.draw(); } },
  methods: {
    cdn() {
      return (window.solara && window.solara.cdn) ? window.solara.cdn : "./_solara/cdn";
    },
    libraries() {
      if (!window.spreadsimVega) {
        const cdn = this.cdn();
        require.config({ map: { "*": {
          "vega": `${cdn}/vega@5/build/vega.min.js`,
          "vega-lite": `${cdn}/vega-lite@5/build/vega-lite.min.js`,
          "vega-embed": `${cdn}/vega-embed@6/build/vega-embed.min.js`,
        } } });
        window.spreadsimVega = new Promise((resolve, reject) => {
          require(["vega", "vega-lite", "vega-embed"], (vega, vl, embed) => resolve(embed),
                  reject);
        });
      }
      return window.spreadsimVega;
    },
    draw() {
      // one drawing at a time, and only of the newest spec
      this.queue = (this.queue || Promise.resolve()).then(() => this.render())
        .catch((error) => console.error("spreadsim chart", error));
    },
    async render() {
      const text = this.spec;
      if (!text || text === this.drawn) { return; }
      const embed = await this.libraries();
      const spec = JSON.parse(text);
      const options = Object.assign({ renderer: "svg", actions: false },
                                    (spec.usermeta || {}).embedOptions || {});
      const result = await embed(this.$refs.plot, spec, options);
      if (this.view) { this.view.finalize(); }
      this.view = result.view;
      this.drawn = text;
      if (spec.width === "container" && !this.observer) {
        // follow the card's width when the window or the card is resized
        this.observer = new ResizeObserver(() => { if (this.view) { this.view.resize(); } });
        this.observer.observe(this.$refs.plot);
      }
    },
  },
};
</script>
<style id="spreadsim-vega-style">
.spreadsim-vega .vega-embed { display: block; width: 100%; }
</style>
"""


class VegaView(v.VuetifyTemplate):
    """A Vega-Lite chart; ``spec`` is the spec as JSON text."""

    template = traitlets.Unicode(_TEMPLATE).tag(sync=True)
    spec = traitlets.Unicode("").tag(sync=True)


def VegaLite(spec: dict[str, Any]) -> None:  # noqa: N802 - reads like a Solara component
    """Show a Vega-Lite spec inside the current Solara component."""
    VegaView.element(spec=json.dumps(spec, separators=(",", ":")))
