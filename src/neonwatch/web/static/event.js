// One event: both vessels' tracks on a small map, distance over time, speeds, gaps, risk reasons.
"use strict";
(async () => {
  const { h, t, api } = NW;
  const main = await NW.page("events");
  const id = location.pathname.split("/").pop();
  let e;
  try { e = await api(`/events/${encodeURIComponent(id)}`); } catch (err) {
    main.append(h("h1", {}, t("event.title")));
    NW.showError(main, err);
    return;
  }
  NW.setMarking(NW.recordMarking(e));
  main.append(h("h1", { "data-testid": "event-title" }, `${t("event.title")}: ${e.kind} — MMSI ${e.mmsi}${e.mmsi_2 ? " / " + e.mmsi_2 : ""}`),
    h("div", { class: "toolbar" },
      h("span", {}, `${NW.fmtTime(e.start)} → ${NW.fmtTime(e.end)}`),
      e.duration_h != null ? h("span", {}, `${e.duration_h.toFixed(1)} h`) : null,
      e.min_distance_m != null ? h("span", {}, `min ${Math.round(e.min_distance_m)} m`) : null,
      h("span", { class: "mark" }, e.markings.in_reader_scheme),
      h("a", { class: "button secondary", href: `/api/v1/events/${e.event_id}/report.html`, target: "_blank" }, t("common.report"))));
  const mapEl = h("div", { class: "smallmap", id: "event-map" });
  const plots = h("div", {});
  const gapsBox = h("div", {});
  main.append(h("div", { class: "grid2" },
    h("section", { class: "card" }, h("h2", {}, t("event.tracks")), mapEl),
    h("section", { class: "card" }, plots)),
    h("section", { class: "card" }, h("h2", {}, t("event.gaps")), gapsBox));
  const riskBox = h("section", { class: "card", "data-testid": "risk" }, h("h2", {}, t("event.risk")));
  if (e.rule) riskBox.append(h("p", {}, h("strong", {}, t("event.rule") + ": "), e.rule));
  if (e.risk) {
    riskBox.append(h("p", {}, `${t("col.risk")}: ${e.risk.score.toFixed(0)} — ${e.risk.top_factors || ""}`),
      NW.table([t("event.factor"), t("event.weight"), t("event.evidence")], (e.risk.factors || []).map((f) => [f.factor, f.weight, f.evidence])));
  } else riskBox.append(h("p", { class: "muted" }, t("event.no_risk")));
  main.append(riskBox);

  const map = NW.landMap(mapEl);
  if (e.lat != null) map.setView([e.lat, e.lon], 9); else map.setView([30, 125], 4);
  const colours = ["#c8102e", "#0b5cad"];
  let tr;
  try { tr = await api(`/events/${e.event_id}/track`); } catch (err) { NW.showError(plots, err); return; }
  if (!tr.available || !tr.vessels.some((v) => v.points.length)) {
    plots.append(h("p", { class: "muted" }, t("event.no_track")));
  }
  const bounds = [];
  tr.vessels.forEach((v, i) => {
    const pts = v.points.map((p) => [p[1], p[2]]);
    bounds.push(...pts);
    if (pts.length) L.polyline(pts, { color: colours[i], weight: 2.5, className: "track-line" }).bindTooltip(`MMSI ${v.mmsi}`).addTo(map);
  });
  if (e.lat != null) L.circleMarker([e.lat, e.lon], { radius: 8, color: "#000", weight: 2, fill: false }).addTo(map);
  if (bounds.length) map.fitBounds(bounds, { padding: [20, 20], maxZoom: 12 });
  const legend = h("div", { class: "legend" }, tr.vessels.map((v, i) => h("span", {}, h("i", { style: `background:${colours[i]}` }), `MMSI ${v.mmsi}`)));
  if (tr.distance_m && tr.distance_m.length) {
    plots.append(h("h2", {}, t("event.distance")),
      NW.plot([{ name: "distance", colour: "#333", points: tr.distance_m.map(([ts, m]) => [new Date(ts), m == null ? null : m / 1000]) }], { yLabel: t("event.distance") }));
  }
  plots.append(h("h2", {}, t("event.speed")), legend,
    NW.plot(tr.vessels.map((v, i) => ({ name: String(v.mmsi), colour: colours[i],
      points: v.points.map((p) => [new Date(p[0]), p[3] != null ? p[3] : p[4]]) })), { yLabel: t("event.speed") }));
  const gapRows = tr.vessels.flatMap((v) => v.gaps.map((g) => [v.mmsi, NW.fmtTime(g.start), NW.fmtTime(g.end), g.hours]));
  gapsBox.append(gapRows.length ? NW.table(["MMSI", t("filter.since"), t("filter.until"), t("col.hours")], gapRows)
    : h("p", { class: "muted" }, t("event.no_gaps")));
})();
