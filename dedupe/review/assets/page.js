// The review page: draws the charts and lists from the inline data; no network, no innerHTML.
"use strict";
(function () {
  const data = JSON.parse(document.getElementById("review-data").textContent);
  const counts = data.counts || {};
  const near = (data.parameters || {}).near || {};

  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(attrs || {})) {
      if (key === "class") node.className = value; else node.setAttribute(key, value);
    }
    for (const child of children) {
      if (child === null || child === undefined) continue;
      node.append(child instanceof Node ? child : String(child));
    }
    return node;
  }
  function fmt(value) {
    if (value === null || value === undefined) return "";
    if (typeof value === "number") return Number.isInteger(value) ? value.toLocaleString("en") : value.toFixed(3);
    return String(value);
  }
  function score(measure, value) {
    return measure ? measure + " " + (value === null || value === undefined ? "" : Number(value).toFixed(3)) : "";
  }
  function table(target, headers, rows, numeric) {
    const node = typeof target === "string" ? document.getElementById(target) : target;
    node.replaceChildren(el("tr", {}, ...headers.map((h, i) => el("th", { class: numeric && numeric[i] ? "num" : "" }, h))));
    for (const row of rows) {
      node.append(el("tr", {}, ...row.map((cell, i) => el("td", { class: numeric && numeric[i] ? "num" : "" }, cell instanceof Node ? cell : fmt(cell)))));
    }
    return node;
  }
  function diffNode(triples) {
    if (!triples) return el("p", { class: "muted" }, "no diff: the output holds no text for one side (--no-dropped-text)");
    const box = el("div", { class: "diff" });
    for (const [op, before, after] of triples) {
      if (op === "equal") box.append(el("span", { class: "shared" }, before + " "));
      if (op === "delete" || op === "replace") box.append(el("del", {}, before), " ");
      if (op === "insert" || op === "replace") box.append(el("ins", {}, after), " ");
    }
    return box;
  }

  // Summary.
  const byReason = counts.dropped_by_reason || {};
  table("summary-table", ["", "documents"], [
    ["documents in", counts.documents_in],
    ["kept", counts.kept],
    ["dropped", counts.dropped],
    ...Object.entries(byReason).map(([reason, n]) => ["  " + reason, n]),
    ["lines removed", counts.lines_removed],
    ["Jaccard threshold (--threshold)", near.threshold],
    ["containment threshold (--containment-threshold)", near.containment_threshold],
  ], [false, true]);

  // Charts: Chart.js, one per canvas.
  const palette = ["#3465a4", "#cc0000", "#73d216", "#f57900", "#75507b", "#c4a000", "#06989a", "#555753"];
  function bar(id, labels, values, label) {
    return new Chart(document.getElementById(id), {
      type: "bar",
      data: { labels: labels.length ? labels : ["(none)"], datasets: [{ label, data: values.length ? values : [0], backgroundColor: palette[0] }] },
      options: {
        animation: false, maintainAspectRatio: false, indexAxis: labels.length > 6 ? "y" : "x",
        scales: { x: { ticks: { autoSkip: false } }, y: { ticks: { autoSkip: false } } },
        plugins: { legend: { display: false } },
      },
    });
  }
  bar("chart-reasons", Object.keys(byReason), Object.values(byReason), "documents");
  const rules = counts.lines_removed_by_rule || {};
  bar("chart-rules", Object.keys(rules), Object.values(rules), "lines");
  const sizes = counts.cluster_sizes || {};
  bar("chart-sizes", Object.keys(sizes), Object.values(sizes), "clusters");

  // A vertical line at the threshold, drawn through Chart.js's plugin hooks.
  const thresholdLine = {
    id: "thresholdLine",
    afterDatasetsDraw(chart, _args, options) {
      if (options.value === undefined || options.value === null) return;
      const x = chart.scales.x.getPixelForValue(options.value * options.bins - 0.5);
      const { top, bottom } = chart.chartArea;
      const ctx = chart.ctx;
      ctx.save();
      ctx.strokeStyle = "#1d2330";
      ctx.setLineDash([5, 4]);
      ctx.beginPath(); ctx.moveTo(x, top); ctx.lineTo(x, bottom); ctx.stroke();
      ctx.fillStyle = "#1d2330";
      ctx.fillText("threshold " + options.value, Math.min(x + 4, chart.chartArea.right - 80), top + 12);
      ctx.restore();
    },
  };
  const similarities = data.similarities || {};
  function histogram(id, measure, threshold) {
    const found = similarities[measure] || { passed: [], rejected: [] };
    const bins = similarities.bins || 50;
    const labels = Array.from({ length: bins }, (_, i) => (i / bins).toFixed(2));
    return new Chart(document.getElementById(id), {
      type: "bar",
      data: {
        labels,
        datasets: [
          { label: "passed", data: found.passed.length ? found.passed : labels.map(() => 0), backgroundColor: palette[2], stack: "s" },
          { label: "rejected", data: found.rejected.length ? found.rejected : labels.map(() => 0), backgroundColor: palette[1], stack: "s" },
        ],
      },
      options: {
        animation: false, maintainAspectRatio: false,
        scales: { x: { stacked: true, ticks: { maxTicksLimit: 11 } }, y: { stacked: true, type: "linear" } },
        plugins: { thresholdLine: { value: threshold, bins } },
      },
      plugins: [thresholdLine],
    });
  }
  histogram("chart-jaccard", "jaccard", near.threshold);
  histogram("chart-containment", "containment", near.containment_threshold);

  // Thresholds table.
  const tab = similarities.thresholds;
  const note = document.getElementById("thresholds-note");
  const tables = document.getElementById("thresholds-tables");
  if (!tab) {
    note.textContent = "No candidate pair was verified in this run, so there is nothing to tabulate.";
  } else {
    note.textContent = "Near duplicates each threshold would give, from the " + fmt(similarities.pairs) +
      " verified candidate pairs of this run (this run dropped " + fmt(byReason.near_duplicate || 0) +
      ", estimated " + fmt(tab.current) + " by the same count). Below this run's thresholds the counts are lower bounds: " +
      "LSH and the pre-filter were tuned to this run's. Also: dedupe dups --thresholds.";
    for (const [measure, current, flag] of [["jaccard", near.threshold, "--threshold"], ["containment", near.containment_threshold, "--containment-threshold"]]) {
      const rows = (tab[measure] || []).map((r) => [r.threshold.toFixed(2) + (r.threshold === current ? " (this run)" : ""), r.near_duplicates,
        (counts.dropped || 0) - (byReason.near_duplicate || 0) + r.near_duplicates]);
      tables.append(el("div", {}, el("h3", {}, flag), table(el("table", { id: "thresholds-" + measure }), [measure + " threshold", "near duplicates", "documents dropped"], rows, [false, true, true])));
    }
  }

  // Largest clusters.
  const caps = data.caps || {};
  document.getElementById("clusters-note").textContent = "The " + caps.clusters + " largest clusters, at most " + caps.members +
    " copies each (by doc_id); each copy's diff goes from the canonical to the copy ([struck] removed, [green] added, grey shared).";
  const clusterList = document.getElementById("cluster-list");
  for (const cluster of data.clusters || []) {
    const head = cluster.members[0];
    const details = el("details", { class: "cluster", "data-cluster": cluster.cluster_id },
      el("summary", {}, cluster.cluster_id + " (" + cluster.size + " documents): " + head.title));
    const rows = cluster.members.map((m, i) => [m.doc_id, i === 0 ? "canonical" : m.reason, m.title, m.url, m.source,
      m.matched || "", score(m.measure, m.similarity)]);
    details.append(table(el("table"), ["doc_id", "role", "title", "url", "source", "matched", "similarity"], rows));
    for (const m of cluster.members.slice(1)) {
      details.append(el("div", {}, el("strong", {}, m.doc_id), " vs canonical " + head.doc_id), diffNode(m.diff));
    }
    clusterList.append(details);
  }
  if (!clusterList.children.length) clusterList.append(el("p", { class: "muted" }, "No document was dropped as a duplicate."));

  // Near misses.
  const missList = document.getElementById("miss-list");
  for (const miss of data.near_misses || []) {
    const details = el("details", { class: "miss" }, el("summary", {}, miss.left + " ~ " + miss.right + ": jaccard " + fmt(miss.jaccard) +
      ", containment " + fmt(miss.containment) + ", lead " + fmt(miss.lead)));
    details.append(el("p", {}, miss.left_title + "  /  " + miss.right_title), diffNode(miss.diff));
    missList.append(details);
  }
  if (!missList.children.length) missList.append(el("p", { class: "muted" }, "No rejected pair came within 0.2 of a threshold."));

  // Removed lines and learned lines.
  table("rules-table", ["rule", "lines", "examples (up to " + caps.examples + ")"],
    (data.removed_by_rule || []).map((r) => [r.rule, r.lines, r.examples.map((e) => JSON.stringify(e)).join("  |  ")]), [false, true, false]);
  table("learned-table", ["rule", "scope", "line", "documents that taught it", "lines removed"],
    (data.learned_lines || []).map((r) => [r.rule, r.scope || "corpus", r.line, r.documents, r.removed_lines]), [false, false, false, true, true]);

  // Search by doc id, over the clusters shown and the indexed dropped rows.
  const index = new Map();
  for (const row of (data.index || {}).rows || []) index.set(row.doc_id, row);
  const shown = new Map();
  for (const cluster of data.clusters || []) for (const m of cluster.members) shown.set(m.doc_id, cluster.cluster_id);
  const result = document.getElementById("search-result");
  document.getElementById("search").addEventListener("input", (event) => {
    const id = event.target.value.trim();
    result.replaceChildren();
    if (!id) return;
    const row = index.get(id);
    if (row) {
      result.append(id + ": dropped, " + row.reason + (row.matched ? ", matched " + row.matched + " (" + score(row.measure, row.similarity) + "), canonical " + row.duplicate_of : ""));
    } else if (shown.has(id)) {
      result.append(id + ": kept, canonical of cluster " + shown.get(id));
    } else {
      result.append(id + ": not among the " + fmt(index.size) + " of " + fmt(data.index.dropped_total) +
        " dropped rows this page lists (nor a shown cluster); kept, or beyond the cap: run dedupe explain OUTPUT " + id);
    }
    const cluster = shown.get(id) || (row && row.duplicate_of);
    const node = cluster && document.querySelector('details.cluster[data-cluster="' + CSS.escape(cluster) + '"]');
    if (node) { node.open = true; node.scrollIntoView({ block: "nearest" }); }
  });
})();
