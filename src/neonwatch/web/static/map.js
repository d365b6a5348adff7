// The map: land basemap, events coloured by kind and sized/ringed by risk, sightings, the
// tracks of the selected event, and a time slider. Data: /api/v1/views/* (policy-filtered).
"use strict";
(async () => {
  const { h, t, api } = NW;
  const main = await NW.page("map");
  main.append(h("h1", {}, t("map.title")));
  const count = h("span", { "data-testid": "count", class: "muted" });
  const slider = h("input", { type: "range", id: "time", min: 0, max: 1000, value: 1000, "aria-label": t("map.time") });
  const win = h("select", { id: "window", "aria-label": "window" },
    [["0", t("map.all_times")], ["6", "6 h"], ["24", "24 h"], ["168", "7 d"], ["720", "30 d"]].map(([v, l]) => h("option", { value: v }, l)));
  const when = h("output", { for: "time", "data-testid": "when" });
  const legend = h("div", { class: "legend" },
    Object.entries(NW.KIND_COLOURS).map(([k, c]) => h("span", {}, h("i", { style: `background:${c}` }), k)),
    h("span", {}, h("i", { style: "background:#fff;border:2px solid #0b5cad" }), t("map.sightings")),
    h("span", { class: "muted" }, t("map.legend")));
  main.append(h("div", { class: "toolbar" }, h("label", { class: "inline" }, t("map.time"), win), slider, when, count), legend);
  const mapEl = h("div", { id: "map" });
  main.append(mapEl);
  const map = NW.landMap(mapEl).setView([33, 125], 5);
  const events = L.layerGroup().addTo(map), sightings = L.layerGroup().addTo(map), tracks = L.layerGroup().addTo(map);
  L.control.layers(null, { [t("map.events")]: events, [t("map.sightings")]: sightings }).addTo(map);

  const CAP = 1000;  // markers per layer: more would make the map unreadable and slow
  let ev = [], si = [], capped = "";
  try {
    const [e, s] = await Promise.all([api(`/views/events?limit=${CAP}`), api(`/views/sightings?limit=${CAP}`)]);
    ev = e.items; si = s.items;
    // the latest CAP of each: say so, never leave the reader thinking that is all there is
    if (e.total > ev.length || s.total > si.length)
      capped = t("map.capped", { events: e.total + (e.total_capped ? "+" : ""), sightings: s.total + (s.total_capped ? "+" : ""), cap: CAP });
    NW.setMarking(NW.higher(e.marking, s.marking));
  } catch (err) { NW.showError(main, err); return; }
  const times = [...ev.map((x) => +new Date(x.start)), ...si.map((x) => +new Date(x.observed_at || x.date))].filter((x) => !isNaN(x));
  const t0 = Math.min(...times), t1 = Math.max(...times);

  async function showTrack(e) {
    tracks.clearLayers();
    try {
      const tr = await api(`/events/${e.event_id}/track`);
      tr.vessels.forEach((v, i) => {
        const line = L.polyline(v.points.map((p) => [p[1], p[2]]), { color: i ? "#0b5cad" : "#c8102e", weight: 2 });
        line.bindTooltip(`MMSI ${v.mmsi}`);
        tracks.addLayer(line);
      });
    } catch (err) { /* a track is extra: the marker stays */ }
  }

  function draw() {
    events.clearLayers(); sightings.clearLayers();
    const hours = +win.value;
    const at = t0 + ((t1 - t0) * slider.value) / 1000;
    const inWindow = (ms) => !hours || (ms <= at && ms >= at - hours * 3600e3);
    when.value = hours ? NW.fmtTime(new Date(at).toISOString()) : t("map.all_times");
    let ne = 0, ns = 0;
    for (const e of ev) {
      if (e.lat == null || !inWindow(+new Date(e.start))) continue;
      const score = e.risk ? e.risk.score : 0;
      const m = L.circleMarker([e.lat, e.lon], {
        radius: NW.riskRadius(score), color: score >= 50 ? "#000" : NW.colour(e.kind), weight: score >= 50 ? 3 : 1,
        fillColor: NW.colour(e.kind), fillOpacity: 0.8, className: "event-marker",
      });
      m.bindPopup(() => h("div", {},
        h("strong", {}, e.kind), h("br"), NW.fmtTime(e.start), h("br"),
        `MMSI ${e.mmsi}${e.mmsi_2 ? " / " + e.mmsi_2 : ""}`, h("br"),
        `${t("col.risk")}: ${e.risk ? e.risk.score.toFixed(0) : "—"}`, h("br"),
        h("span", { class: "mark" }, e.markings.in_reader_scheme), h("br"),
        h("a", { href: `/events/${e.event_id}` }, t("event.title") + " →")));
      m.on("click", () => showTrack(e));
      events.addLayer(m); ne++;
    }
    for (const s of si) {
      if (s.lat == null || !inWindow(+new Date(s.observed_at || s.date))) continue;
      const m = L.circleMarker([s.lat, s.lon], { radius: 7, color: "#0b5cad", weight: 2, fillColor: "#fff", fillOpacity: 1, className: "sighting-marker" });
      m.bindPopup(() => h("div", {}, h("strong", {}, s.asset), h("br"), s.date, h("br"),
        s.vessels.map((v) => v.name).filter(Boolean).join(", "), h("br"),
        h("span", { class: "mark" }, s.markings.in_reader_scheme), h("br"),
        h("a", { href: `/api/v1/sightings/${s.id}/report.html`, target: "_blank" }, t("common.report"))));
      sightings.addLayer(m); ns++;
    }
    count.textContent = t("map.shown", { events: ne, sightings: ns }) + (capped ? ` · ${capped}` : "");
  }
  slider.addEventListener("input", draw);
  win.addEventListener("change", draw);
  draw();
})();
