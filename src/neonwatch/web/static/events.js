"use strict";
(() => {
  const { h, t } = NW;
  const kinds = ["", "encounter", "loitering", "gap", "ais_disabling", "dark_rendezvous", "teleport", "shared_mmsi"];
  NW.list({
    name: "events", nav: "events", get title() { return t("nav.events"); },
    filters: [
      { name: "kind", label: "filter.kind", options: kinds.map((k) => [k, k || "—"]) },
      { name: "min_risk", label: "filter.min_risk", type: "number", size: 5, step: "any" },
      { name: "since", label: "filter.since", type: "datetime-local" },
      { name: "until", label: "filter.until", type: "datetime-local" },
      { name: "bbox", label: "filter.bbox", placeholder: "120,25,130,35", size: 16 },
      { name: "listed", label: "filter.listed", options: [["", "—"], ["true", "yes"], ["false", "no"]] },
      { name: "mmsi", label: "filter.mmsi", type: "number", size: 10 },
    ],
    columns: ["col.start", "col.kind", "col.vessels", "col.duration", "col.risk", "col.position", "col.marking"],
    row: (e) => [
      h("a", { href: `/events/${e.event_id}` }, NW.fmtTime(e.start)),
      h("span", {}, h("i", { style: `display:inline-block;width:.7rem;height:.7rem;border-radius:50%;background:${NW.colour(e.kind)};margin-right:.3rem` }), e.kind),
      `${e.mmsi}${e.mmsi_2 ? " / " + e.mmsi_2 : ""}`,
      e.duration_h != null ? e.duration_h.toFixed(1) : "—",
      e.risk ? e.risk.score.toFixed(0) : "—",
      e.lat != null ? `${e.lat.toFixed(3)}, ${e.lon.toFixed(3)}` : "—",
      h("span", { class: "mark" }, e.markings.in_reader_scheme),
    ],
  });
  document.title = "neonwatch — " + (t("nav.events") || "Events");
})();
