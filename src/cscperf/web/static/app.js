// Dashboard behaviour: render Vega-Lite charts from JSON blocks. Filters submit with their button, never on
// choosing an option (WCAG 3.2.2: a change of setting must not move the user to another page unasked).
// No inline scripts (the Content-Security-Policy forbids them); everything is served locally.
(function () {
  "use strict";

  function renderCharts(root) {
    if (typeof vegaEmbed !== "function") return;
    root.querySelectorAll("[data-vega-spec]").forEach(function (el) {
      if (el.dataset.rendered) return;
      var block = el.querySelector("script[type='application/json']");
      if (!block) return;
      el.dataset.rendered = "1";
      var target = document.createElement("div");
      target.className = "chart-body";
      el.appendChild(target);
      var spec = JSON.parse(block.textContent);
      // The figcaption beside the chart is its text alternative: the SVG takes it as its name, and its marks stay
      // out of the accessibility tree (a screen reader gets the summary and the figures table, not 24 unnamed dots).
      var config = spec.config || {};
      spec.config = Object.assign({}, config, { aria: false, mark: Object.assign({}, config.mark, { aria: false }) });
      if (el.dataset.summary) spec.description = el.dataset.summary;
      vegaEmbed(target, spec, { actions: { export: true, source: false, compiled: false, editor: false }, renderer: "svg" })
        .then(function () { nameChartMenu(target); el.dataset.ready = "1"; })
        .catch(function (err) { target.textContent = "Chart could not be drawn: " + err; });
    });
  }

  // vega-embed's menu is a <details> whose <summary> holds only an icon: give it a name (WCAG 4.1.2).
  function nameChartMenu(target) {
    var summary = target.querySelector("details > summary");
    if (summary) summary.setAttribute("aria-label", "Chart menu: save the chart as an image");
  }

  document.addEventListener("DOMContentLoaded", function () {
    renderCharts(document);
  });
  document.addEventListener("htmx:afterSwap", function (evt) { renderCharts(evt.target); });
  // The as-at fragment carries the data version: remember the newest one so "data-changed" fires once per change.
  document.addEventListener("htmx:configRequest", function (evt) {
    if (evt.detail.path.indexOf("/fragments/as-at") === 0) {
      var span = document.querySelector("#as-at .as-at-text");
      var seen = span ? span.dataset.version : document.body.dataset.version;
      if (seen) evt.detail.parameters.seen = seen;
    }
  });
})();
