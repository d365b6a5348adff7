"use strict";
(() => {
  const { h, t } = NW;
  NW.list({
    name: "sightings", nav: "sightings", get title() { return t("nav.sightings"); },
    filters: [
      { name: "since", label: "filter.since", type: "date" },
      { name: "until", label: "filter.until", type: "date" },
      { name: "asset", label: "filter.asset", size: 14 },
      { name: "bbox", label: "filter.bbox", placeholder: "120,25,130,35", size: 16 },
      { name: "listed", label: "filter.listed", options: [["", "—"], ["true", "yes"], ["false", "no"]] },
    ],
    columns: ["col.date", "col.asset", "col.vessels", "col.position", "col.dark", "col.marking"],
    row: (s) => [
      h("a", { href: `/api/v1/sightings/${s.id}/report.html`, target: "_blank" }, s.date),
      s.asset,
      s.vessels.map((v) => `${v.name || "?"}${v.imo ? " (IMO " + v.imo + ")" : ""}${v.listed ? " ⚑" : ""}`).join("; "),
      s.reference && s.distance_km != null ? `${s.distance_km} km ${s.bearing || ""} ${s.reference}` : (s.lat != null ? `${s.lat.toFixed(2)}, ${s.lon.toFixed(2)}` : "—"),
      s.vessels.filter((v) => v.dark).map((v) => v.name || "?").join(", ") || "—",
      h("span", { class: "mark" }, s.markings.in_reader_scheme),
    ],
  });
})();
