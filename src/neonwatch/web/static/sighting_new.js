// File a sighting: position by lat/lon or by distance and bearing from a reference point; after
// posting, show the AIS correlation (who was in range) and which observed vessels were dark.
"use strict";
(async () => {
  const { h, t, api } = NW;
  const main = await NW.page("new_sighting");
  const me = NW.me;
  main.append(h("h1", {}, t("sighting.new")));
  const result = h("div", { "aria-live": "polite", "data-testid": "result" });
  const field = (key, input) => h("label", {}, t(key), input);
  const now = new Date(Date.now() - new Date().getTimezoneOffset() * 60000).toISOString().slice(0, 16);
  const asset = h("input", { name: "asset", id: "asset", required: true, maxlength: 128, placeholder: "JMSDF P-3C" });
  const when = h("input", { name: "when", id: "when", type: "datetime-local", required: true, value: now });
  const modeLL = h("input", { type: "radio", name: "mode", value: "latlon", id: "mode-latlon" });
  const modeRB = h("input", { type: "radio", name: "mode", value: "bearing", id: "mode-bearing", checked: true });
  const lat = h("input", { id: "lat", type: "number", step: "any", min: -90, max: 90 });
  const lon = h("input", { id: "lon", type: "number", step: "any", min: -180, max: 180 });
  const ref = h("select", { id: "reference" }, me.reference_points.map((p) => h("option", { value: p.name }, p.name)));
  const dist = h("input", { id: "distance", type: "number", step: "any", min: 0, placeholder: "250" });
  const bearing = h("input", { id: "bearing", placeholder: "E", size: 6 });
  const llBox = h("div", { class: "form-grid" }, field("sighting.lat", lat), field("sighting.lon", lon));
  const rbBox = h("div", { class: "form-grid" }, field("sighting.reference", ref), field("sighting.distance", dist), field("sighting.bearing", bearing));
  const syncMode = () => { llBox.hidden = !modeLL.checked; rbBox.hidden = !modeRB.checked; };
  modeLL.addEventListener("change", syncMode); modeRB.addEventListener("change", syncMode); syncMode();
  const vesselsBox = h("div", { id: "vessels" });
  const roles = ["dprk", "other", "unknown"];
  function addVessel() {
    const n = vesselsBox.children.length;
    vesselsBox.append(h("div", { class: "form-grid vessel-row" },
      field("sighting.vessel_name", h("input", { name: "v-name", id: `v-name-${n}` })),
      field("col.imo", h("input", { name: "v-imo", id: `v-imo-${n}`, inputmode: "numeric", pattern: "[0-9]{7}" })),
      field("col.mmsi", h("input", { name: "v-mmsi", id: `v-mmsi-${n}`, inputmode: "numeric", pattern: "[0-9]{9}" })),
      field("col.flag", h("input", { name: "v-flag", id: `v-flag-${n}` })),
      field("col.role", h("select", { name: "v-role", id: `v-role-${n}` }, roles.map((r) => h("option", { value: r }, r))))));
  }
  addVessel(); addVessel();
  const obs = ["alongside", "hoses", "lights"].map((k) => h("input", { type: "checkbox", id: `obs-${k}` }));
  const notes = h("textarea", { id: "notes", rows: 3, maxlength: 4000 });
  const levels = Object.keys(me.levels[me.nation] || {}).filter((l) => me.levels[me.nation][l] > 0 && me.levels[me.nation][l] <= (me.levels[me.nation][me.clearance] || 0));
  const cls = h("select", { id: "classification" }, levels.map((l) => h("option", { value: l }, l)));
  const rel = h("input", { id: "releasability", value: "REL TO CAN, JPN", size: 18 });
  const group = h("select", { id: "group" }, me.groups.map((g) => h("option", { value: g }, g)));
  const photo = h("input", { id: "photo", type: "file", accept: "image/jpeg,image/png" });
  const submit = h("button", { type: "submit", id: "submit" }, t("sighting.submit"));
  const form = h("form", { class: "card", novalidate: false },
    h("fieldset", {}, h("legend", {}, t("sighting.asset")), h("div", { class: "form-grid" }, field("sighting.asset", asset), field("sighting.when", when))),
    h("fieldset", {}, h("legend", {}, t("sighting.position_by")),
      h("label", { class: "inline" }, modeRB, t("sighting.by_bearing")), h("label", { class: "inline" }, modeLL, t("sighting.by_latlon")), rbBox, llBox),
    h("fieldset", {}, h("legend", {}, t("sighting.vessels")), vesselsBox,
      h("button", { type: "button", class: "secondary", onclick: addVessel }, t("sighting.add_vessel"))),
    h("fieldset", {}, h("legend", {}, t("sighting.observed")),
      h("label", { class: "inline" }, obs[0], t("sighting.alongside")), h("label", { class: "inline" }, obs[1], t("sighting.hoses")),
      h("label", { class: "inline" }, obs[2], t("sighting.lights")), field("sighting.notes", notes), field("sighting.photo", photo)),
    h("fieldset", {}, h("legend", {}, t("col.marking")), h("div", { class: "form-grid" },
      field("sighting.classification", cls), field("sighting.releasability", rel), field("sighting.group", group))),
    submit);
  main.append(form, result);

  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    result.replaceChildren();
    const position = modeLL.checked
      ? { lat: lat.value === "" ? null : Number(lat.value), lon: lon.value === "" ? null : Number(lon.value) }
      : { reference: ref.value, distance: dist.value === "" ? null : `${dist.value}km`, bearing: bearing.value || null };
    const vessels = [...vesselsBox.querySelectorAll(".vessel-row")].map((row) => {
      const val = (n) => row.querySelector(`[name=${n}]`).value.trim();
      const v = { name: val("v-name") || null, imo: val("v-imo") ? Number(val("v-imo")) : null,
                  mmsi: val("v-mmsi") ? Number(val("v-mmsi")) : null, flag: val("v-flag") || null, role: val("v-role") };
      return v.name || v.imo || v.mmsi || v.flag ? v : null;
    }).filter(Boolean);
    const body = {
      asset: asset.value.trim(), when: NW.localToIso(when.value), position, vessels,
      observations: { alongside: obs[0].checked || null, hoses_connected: obs[1].checked || null,
                      lights_at_night: obs[2].checked || null, notes: notes.value.trim() || null },
      marking: { classification: cls.value, releasability: rel.value, group: group.value },
    };
    submit.disabled = true;
    try {
      const s = await api("/sightings", { method: "POST", body });
      showResult(s);
      if (photo.files.length) await addPhoto(s, photo.files[0]);
    } catch (err) {
      result.append(h("div", { class: "alert error", role: "alert", "data-testid": "error" }, `${t("common.error")}: ${err.message}`));
    } finally { submit.disabled = false; }
  });

  // the sighting is filed before its photo goes up: a refused photo says so and keeps the filing
  async function addPhoto(s, file) {
    const box = result.querySelector("[data-testid=correlation]");
    const fd = new FormData(); fd.append("file", file);
    try {
      const ph = await api(`/sightings/${s.id}/photos`, { method: "POST", body: fd });
      const src = `/api/v1/sightings/${s.id}/photos/${ph.sha256}`;
      box.append(h("figure", { "data-testid": "photo" },
        h("img", { src, alt: ph.filename || file.name, style: "max-width: 320px" }),
        h("figcaption", { class: "muted" }, `${t("sighting.photo_stored")} · SHA-256 ${ph.sha256.slice(0, 12)}…`)));
    } catch (err) {
      box.append(h("div", { class: "alert error", role: "alert", "data-testid": "photo-error" },
        `${t("sighting.photo_refused")}: ${err.message}`));
    }
  }

  function showResult(s) {
    NW.setMarking(NW.recordMarking(s));
    const c = s.correlation;
    const box = h("section", { class: "card", "data-testid": "correlation" },
      h("div", { class: "alert ok", role: "status" }, `${t("sighting.filed")}: ${s.lat != null ? s.lat.toFixed(3) + ", " + s.lon.toFixed(3) : "—"} · ${s.markings.in_reader_scheme}`),
      h("h2", {}, t("sighting.correlation")));
    if (!c || c.status !== "ok") box.append(h("p", { class: "muted" }, t("sighting.no_correlation") + (c ? ` (${c.status})` : "")));
    else {
      box.append(h("h3", {}, t("sighting.in_range")),
        c.in_range.length ? NW.table(["MMSI", t("col.name"), "km"], c.in_range.map((v) => [v.mmsi, v.name, v.distance_km != null ? v.distance_km.toFixed(1) : "—"]))
          : h("p", { class: "muted" }, t("common.none")));
      box.append(h("h3", {}, t("sighting.dark_vessels")),
        c.dark.length ? h("ul", { "data-testid": "dark" }, c.dark.map((d) => h("li", {}, d.vessel || `#${d.index}`)))
          : h("p", { class: "muted" }, t("sighting.no_dark")));
    }
    box.append(h("p", {}, h("a", { class: "button secondary", href: `/api/v1/sightings/${s.id}/report.html`, target: "_blank" }, t("common.report"))));
    result.replaceChildren(box);
    box.scrollIntoView();
  }
})();
