// Dashboard behaviour: render Vega-Lite charts from JSON blocks, auto-submit filter selects.
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
      vegaEmbed(target, JSON.parse(block.textContent), { actions: { export: true, source: false, compiled: false, editor: false }, renderer: "svg" })
        .then(function () { el.dataset.ready = "1"; })
        .catch(function (err) { target.textContent = "Chart could not be drawn: " + err; });
    });
  }

  function wireAutosubmit(root) {
    root.querySelectorAll("select.autosubmit, input.autosubmit").forEach(function (sel) {
      sel.addEventListener("change", function () { sel.form.submit(); });
    });
    root.querySelectorAll(".js-hide").forEach(function (el) { el.hidden = true; });
  }

  document.addEventListener("DOMContentLoaded", function () {
    renderCharts(document);
    wireAutosubmit(document);
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
