"use strict";
(() => {
  const { h, t } = NW;
  NW.list({
    name: "vessels", nav: "vessels", get title() { return t("nav.vessels"); },
    filters: [
      { name: "q", label: "filter.q", size: 18, suggest: (v) => `/views/vessels?limit=10&q=${encodeURIComponent(v)}` },
      { name: "mmsi", label: "filter.mmsi", type: "number", size: 10 },
      { name: "imo", label: "filter.imo", type: "number", size: 9 },
      { name: "listed", label: "filter.listed", options: [["", "—"], ["true", "yes"], ["false", "no"]] },
    ],
    columns: ["col.name", "col.mmsi", "col.imo", "col.callsign", "col.type", "col.first_seen", "col.last_seen", "col.marking"],
    row: (v) => [
      h("a", { href: `/vessels/${v.id}` }, v.name || "(" + t("common.none") + ")"),
      v.mmsi, v.imo, v.callsign, v.ship_type, NW.fmtTime(v.first_seen), NW.fmtTime(v.last_seen),
      h("span", { class: "mark" }, v.markings.in_reader_scheme),
    ],
  });
})();
