// One vessel: its identity history (names, flags, IMO, call signs over time) and list hits.
"use strict";
(async () => {
  const { h, t, api } = NW;
  const main = await NW.page("vessels");
  const id = location.pathname.split("/").pop();
  let d;
  try { d = await api(`/vessels/${encodeURIComponent(id)}/history`); } catch (err) {
    main.append(h("h1", {}, t("vessel.title")));
    NW.showError(main, err);
    return;
  }
  NW.setMarking(d.marking);
  const v = d.vessel;
  main.append(h("h1", { "data-testid": "vessel-title" }, `${t("vessel.title")}: ${v.name || "?"} — MMSI ${v.mmsi}${v.imo ? " · IMO " + v.imo : ""}`),
    h("section", { class: "card" }, h("h2", {}, t("vessel.history")),
      NW.table(["col.first_seen", "col.last_seen", "col.name", "col.imo", "col.callsign", "col.type", "col.marking"].map((c) => t(c)),
        d.history.map((r) => [NW.fmtTime(r.first_seen), NW.fmtTime(r.last_seen), r.name, r.imo, r.callsign, r.ship_type,
          h("span", { class: "mark" }, r.markings.in_reader_scheme)]))),
    h("section", { class: "card", "data-testid": "hits" }, h("h2", {}, t("vessel.hits")),
      d.list_hits.length ? NW.table([t("event.factor"), t("event.weight"), t("event.evidence")], d.list_hits.map((f) => [f.factor, f.weight, f.evidence]))
        : h("p", { class: "muted" }, t("vessel.no_hits"))),
    h("p", {}, h("a", { href: `/events?mmsi=${v.mmsi}` }, `${t("nav.events")}: MMSI ${v.mmsi} →`)));
})();
