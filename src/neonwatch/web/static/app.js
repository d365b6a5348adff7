// neonwatch web picture: the helpers every page uses. No framework; no data in the page itself:
// everything comes from /api/v1 with the session cookie (and X-CSRF-Token on writes), so a page
// shows exactly what the API gives its reader. DOM is built with textContent, never innerHTML
// with record text, so nothing a user typed becomes markup.
"use strict";

const NW = (() => {
  const LANGS = ["en", "fr", "ja"];
  const KIND_COLOURS = {
    encounter: "#d62728", loitering: "#ff7f0e", gap: "#7f7f7f", ais_disabling: "#9467bd",
    dark_rendezvous: "#000000", teleport: "#17becf", shared_mmsi: "#8c564b",
  };
  let messages = {};
  let me = null;
  let pageMarking = null;

  const lang = () => {
    const saved = localStorage.getItem("nw.lang");
    if (LANGS.includes(saved)) return saved;
    const nav = (navigator.language || "en").slice(0, 2);
    return LANGS.includes(nav) ? nav : "en";
  };

  async function loadMessages() {
    const get = async (l) => (await fetch(`/static/i18n/${l}.json`)).json();
    messages = await get("en");
    if (lang() !== "en") Object.assign(messages, await get(lang()));
  }

  function t(key, values = {}) {
    let text = messages[key] || key;
    for (const [k, v] of Object.entries(values)) text = text.replace(`{${k}}`, String(v));
    return text;
  }

  // h("a", {href: "/x", class: "b"}, "text", child) -> element; strings become text nodes
  function h(tag, attrs = {}, ...children) {
    const el = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === null || v === undefined || v === false) continue;
      if (k.startsWith("on")) el.addEventListener(k.slice(2), v);
      else if (k === "dataset") Object.assign(el.dataset, v);
      else el.setAttribute(k, v === true ? "" : v);
    }
    for (const c of children.flat()) {
      if (c === null || c === undefined || c === false) continue;
      el.append(c instanceof Node ? c : document.createTextNode(String(c)));
    }
    return el;
  }

  function cookie(name) {
    const m = document.cookie.split("; ").find((c) => c.startsWith(name + "="));
    return m ? decodeURIComponent(m.slice(name.length + 1)) : "";
  }

  // status: the HTTP status; detail: the API's "detail" as sent (text, or a list of problems)
  class ApiError extends Error {
    constructor(status, message, detail) { super(message); this.status = status; this.detail = detail; }
  }

  async function api(path, opts = {}) {
    const headers = Object.assign({}, opts.headers || {});
    const method = (opts.method || "GET").toUpperCase();
    if (method !== "GET") headers["X-CSRF-Token"] = cookie("neonwatch_csrf");
    let body = opts.body;
    if (body && !(body instanceof FormData) && typeof body !== "string") {
      headers["content-type"] = "application/json";
      body = JSON.stringify(body);
    }
    const r = await fetch("/api/v1" + path, { method, headers, body, credentials: "same-origin" });
    if (r.status === 401 && !opts.noRedirect) {
      location.href = "/login?next=" + encodeURIComponent(location.pathname + location.search);
      throw new ApiError(401, "not logged in");
    }
    const text = await r.text();
    let data = null;
    try { data = text ? JSON.parse(text) : null; } catch { data = text; }
    if (!r.ok) {
      const detail = data && data.detail ? data.detail : `${r.status} ${r.statusText}`;
      throw new ApiError(r.status, typeof detail === "string" ? detail : JSON.stringify(detail), detail);
    }
    return data;
  }

  // --- times: stored UTC, shown in the reader's zone -----------------------------------------
  const tz = () => localStorage.getItem("nw.tz") || undefined;
  function fmtTime(iso) {
    if (!iso) return "—";
    const d = new Date(iso);
    if (isNaN(d)) return String(iso);
    return new Intl.DateTimeFormat(lang(), {
      timeZone: tz(), year: "numeric", month: "2-digit", day: "2-digit",
      hour: "2-digit", minute: "2-digit", timeZoneName: "short",
    }).format(d);
  }
  // <input type=datetime-local> value (reader's zone) -> ISO UTC
  function localToIso(value) {
    if (!value) return "";
    const zone = tz();
    if (!zone) return new Date(value).toISOString();
    // offset of that zone at that moment: format the UTC guess in the zone and correct
    const guess = new Date(value + "Z");
    const parts = new Intl.DateTimeFormat("en-CA", {
      timeZone: zone, hourCycle: "h23", year: "numeric", month: "2-digit", day: "2-digit",
      hour: "2-digit", minute: "2-digit", second: "2-digit",
    }).formatToParts(guess).reduce((o, p) => ((o[p.type] = p.value), o), {});
    const shown = Date.UTC(parts.year, parts.month - 1, parts.day, parts.hour, parts.minute, parts.second);
    return new Date(guess.getTime() - (shown - guess.getTime())).toISOString();
  }

  // --- the classification banner ---------------------------------------------------------------
  function higher(a, b) {
    if (!a || a.empty) return b && !b.empty ? b : a || b;
    if (!b || b.empty) return a;
    return b.rank > a.rank ? b : a;
  }
  function setMarking(m) {
    pageMarking = m || (me && me.empty_marking);
    for (const id of ["banner-top", "banner-bottom"]) {
      const el = document.getElementById(id);
      if (!el || !pageMarking) continue;
      el.replaceChildren(pageMarking.in_reader_scheme);
      el.title = t("banner.reader");
      if (pageMarking.in_originator_scheme && pageMarking.in_originator_scheme !== pageMarking.in_reader_scheme) {
        el.append(h("small", {}, `${t("banner.originator")}: ${pageMarking.in_originator_scheme}`));
      }
      if (pageMarking.empty) el.append(h("small", {}, t("banner.empty")));
      el.classList.toggle("low", pageMarking.rank === 0);
    }
  }
  // a single record's markings -> a banner
  function recordMarking(rec) {
    const m = rec.markings || {};
    const rank = me && me.levels[m.originator_nation] ? me.levels[m.originator_nation][m.classification] : 0;
    return { rank, in_reader_scheme: m.in_reader_scheme, in_originator_scheme: m.in_originator_scheme, empty: false };
  }

  // --- page frame ------------------------------------------------------------------------------
  async function page(active, { requireLogin = true } = {}) {
    await loadMessages();
    document.documentElement.lang = lang();
    const top = h("div", { id: "banner-top", class: "banner", role: "banner", "data-testid": "banner" });
    const bottom = h("div", { id: "banner-bottom", class: "banner", "data-testid": "banner-bottom" });
    const nav = h("nav", {},
      [["map", "/map"], ["events", "/events"], ["vessels", "/vessels"], ["sightings", "/sightings"],
       ["new_sighting", "/sightings/new"], ["ledger", "/acsa"]].map(([k, href]) =>
        h("a", { href, class: k === active ? "active" : null }, t("nav." + k))));
    const tzSel = h("select", { id: "tz", "aria-label": t("tz.label"), onchange: (e) => {
      localStorage.setItem("nw.tz", e.target.value); location.reload(); } },
      ["", "UTC", "Asia/Tokyo", "America/Toronto", "America/Vancouver", "Asia/Shanghai"].map((z) =>
        h("option", { value: z, selected: (tz() || "") === z }, z || t("tz.local"))));
    const langSel = h("select", { id: "lang", "aria-label": "language", onchange: (e) => {
      localStorage.setItem("nw.lang", e.target.value); location.reload(); } },
      LANGS.map((l) => h("option", { value: l, selected: l === lang() }, { en: "English", fr: "Français", ja: "日本語" }[l])));
    const who = h("div", { class: "who" });
    const header = h("header", {}, h("a", { class: "brand", href: "/map", title: t("app.tagline") }, "neonwatch"), nav, who);
    const main = document.querySelector("main") || h("main");
    document.body.prepend(top, header);
    document.body.append(main, bottom);
    if (requireLogin) {
      me = await api("/me");
      who.append(h("span", { "data-testid": "user" }, `${me.username} · ${me.nation} · ${me.clearance}`),
        h("label", { class: "inline" }, t("tz.label"), tzSel), langSel,
        h("button", { class: "secondary", onclick: logout }, t("nav.logout")));
      setMarking(null);
    } else {
      who.append(langSel);
    }
    return main;
  }

  async function logout() {
    // the server forgets the token and clears both cookies (the session one is HttpOnly)
    try { await api("/logout", { method: "POST", noRedirect: true }); } catch (e) { /* expired already */ }
    document.cookie = "neonwatch_csrf=; Max-Age=0; path=/";
    location.href = "/login";
  }

  function showError(where, err) {
    const box = h("div", { class: "alert error", role: "alert", "data-testid": "error" },
      err && err.status === 404 ? t("common.not_found") : `${t("common.error")}: ${err.message || err}`);
    where.prepend(box);
    return box;
  }

  function table(columns, rows) {
    return h("table", {},
      h("thead", {}, h("tr", {}, columns.map((c) => h("th", { scope: "col" }, c)))),
      h("tbody", {}, rows.map((r) => h("tr", {}, r.map((c) => (c instanceof Node ? h("td", {}, c) : h("td", {}, c ?? "—")))))));
  }

  // a form's non-empty fields as a query string
  function query(form, extra = {}) {
    const q = new URLSearchParams();
    for (const [k, v] of new FormData(form).entries()) if (v !== "") q.set(k, v);
    for (const [k, v] of Object.entries(extra)) if (v !== "" && v != null) q.set(k, v);
    for (const k of ["since", "until"]) {
      const el = form.elements[k];
      if (el && el.type === "datetime-local" && el.value) q.set(k, localToIso(el.value));
    }
    return q;
  }

  const colour = (kind) => KIND_COLOURS[kind] || "#1f77b4";
  const riskRadius = (score) => 5 + Math.min(score || 0, 100) / 10;

  // Leaflet map with the Natural Earth land from /api/v1/geo/land (no tile server)
  function landMap(el, opts = {}) {
    const map = L.map(el, Object.assign({ worldCopyJump: true }, opts));
    const land = L.geoJSON(null, { style: { color: "#e6dfcb", weight: 1, fillColor: "#e6dfcb", fillOpacity: 1 },
      interactive: false }).addTo(map);
    let last = "";
    async function refresh() {
      const z = map.getZoom();
      const res = Math.min(60, Math.max(1, Math.pow(2, z - 1)));
      const b = map.getBounds().pad(0.2);
      const box = [Math.max(-180, b.getWest()), Math.max(-90, b.getSouth()),
                   Math.min(180, b.getEast()), Math.min(90, b.getNorth())].map((v) => v.toFixed(2)).join(",");
      const key = `${box}@${res}`;
      if (key === last) return;
      last = key;
      try {
        const gj = await api(`/geo/land?bbox=${box}&res=${res}`);
        land.clearLayers();
        land.addData(gj);
      } catch (err) { /* the basemap is decoration: keep the last one */ }
    }
    map.on("moveend", refresh);
    map.whenReady(refresh);
    map.attributionControl.addAttribution("Land: Natural Earth");
    return map;
  }

  // a small SVG line plot: series = [{name, colour, points: [[Date, y|null], ...]}]
  function plot(series, { yLabel = "", height = 200 } = {}) {
    const W = 640, H = height, L0 = 48, R0 = 10, T0 = 10, B0 = 28;
    const svg = document.createElementNS("http://www.w3.org/2000/svg", "svg");
    svg.setAttribute("viewBox", `0 0 ${W} ${H}`);
    svg.setAttribute("class", "plot");
    svg.setAttribute("role", "img");
    svg.setAttribute("aria-label", yLabel);
    const all = series.flatMap((s) => s.points.filter((p) => p[1] != null));
    if (!all.length) {
      const tx = document.createElementNS(svg.namespaceURI, "text");
      tx.setAttribute("x", W / 2); tx.setAttribute("y", H / 2); tx.setAttribute("text-anchor", "middle");
      tx.textContent = t("common.none");
      svg.append(tx);
      return svg;
    }
    const xs = all.map((p) => +p[0]), ys = all.map((p) => p[1]);
    const x0 = Math.min(...xs), x1 = Math.max(...xs) || x0 + 1, y1 = Math.max(...ys) * 1.1 || 1;
    const sx = (x) => L0 + ((x - x0) / (x1 - x0 || 1)) * (W - L0 - R0);
    const sy = (y) => H - B0 - (y / y1) * (H - T0 - B0);
    const el = (name, attrs, text) => {
      const e = document.createElementNS(svg.namespaceURI, name);
      for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
      if (text !== undefined) e.textContent = text;
      svg.append(e);
      return e;
    };
    for (let i = 0; i <= 4; i++) {
      const y = (y1 * i) / 4;
      el("line", { x1: L0, x2: W - R0, y1: sy(y), y2: sy(y), stroke: "#e3e7eb" });
      el("text", { x: L0 - 4, y: sy(y) + 4, "text-anchor": "end" }, y >= 100 ? y.toFixed(0) : y.toFixed(1));
    }
    for (let i = 0; i <= 4; i++) {
      const x = x0 + ((x1 - x0) * i) / 4;
      el("text", { x: sx(x), y: H - 8, "text-anchor": "middle" }, fmtTime(new Date(x).toISOString()).slice(-14));
    }
    for (const s of series) {
      let d = "", pen = false;
      for (const [x, y] of s.points) {
        if (y == null) { pen = false; continue; }
        d += `${pen ? "L" : "M"}${sx(+x).toFixed(1)},${sy(y).toFixed(1)}`;
        pen = true;
      }
      el("path", { d, fill: "none", stroke: s.colour, "stroke-width": 1.8, "data-series": s.name });
    }
    return svg;
  }

  return { t, h, api, page, setMarking, higher, recordMarking, showError, table, fmtTime, localToIso,
           query, colour, riskRadius, landMap, plot, KIND_COLOURS, get me() { return me; } };
})();
