// The list pages (events, vessels, sightings): a filter form, a table, paging, export links.
// Filters go to /api/v1/views/NAME; exports to /api/v1/exports/NAME with the same query, so a
// file holds exactly the rows the page lists. The filters live in the URL (shareable, back button).
"use strict";
NW.list = async function list({ name, nav, title, filters, columns, row }) {
  const { h, t, api } = NW;
  const main = await NW.page(nav);
  main.append(h("h1", {}, title));
  const params = new URLSearchParams(location.search);
  const form = h("form", { class: "filters card", "data-testid": "filters" },
    filters.map((f) => {
      const v = params.get(f.name) || "";
      let input;
      if (f.options) {
        input = h("select", { name: f.name, id: "f-" + f.name },
          f.options.map(([val, label]) => h("option", { value: val, selected: val === v }, label)));
      } else {
        input = h("input", { name: f.name, id: "f-" + f.name, type: f.type || "text", value: f.type === "datetime-local" ? "" : v,
          placeholder: f.placeholder || "", size: f.size || 12, list: f.suggest ? "dl-" + f.name : null, step: f.step || null });
      }
      const label = h("label", {}, t(f.label), input);
      if (f.suggest) {
        const dl = h("datalist", { id: "dl-" + f.name, "data-testid": "suggestions" });
        let timer = null;
        input.addEventListener("input", () => {
          clearTimeout(timer);
          timer = setTimeout(async () => {
            if (input.value.length < 2) return dl.replaceChildren();
            const r = await api(f.suggest(input.value));
            dl.replaceChildren(...[...new Set(r.items.map((x) => x.name).filter(Boolean))].map((n) => h("option", { value: n })));
          }, 200);
        });
        label.append(dl);
      }
      return label;
    }),
    h("button", { type: "submit" }, t("common.apply")),
    h("a", { class: "button secondary", href: location.pathname }, t("common.reset")));
  const exportsBox = h("div", { class: "toolbar", "data-testid": "exports" });
  const summary = h("span", { class: "muted", "data-testid": "total" });
  const holder = h("div", {});
  const pager = h("div", { class: "pager" });
  main.append(form, h("div", { class: "toolbar" }, summary, exportsBox), holder, pager);
  const limit = 50;
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    const q = NW.query(form);
    location.search = q.toString();
  });
  async function load(offset) {
    const q = new URLSearchParams(params);
    q.set("limit", limit); q.set("offset", offset);
    let data;
    try { data = await api(`/views/${name}?${q}`); } catch (err) { NW.showError(main, err); return; }
    NW.setMarking(data.marking);
    // past the server's count cap the total is a lower bound: "more than N", and pages go on
    summary.textContent = t("common.total", { n: data.items.length, total: data.total_capped ? `${data.total}+` : data.total });
    holder.replaceChildren(NW.table(columns.map((c) => t(c)), data.items.map(row)));
    pager.replaceChildren(
      h("button", { class: "secondary", disabled: offset <= 0, onclick: () => load(Math.max(0, offset - limit)) }, "←"),
      h("span", {}, `${offset + 1}–${offset + data.items.length}`),
      h("button", { class: "secondary", disabled: offset + limit >= data.total && !data.total_capped, onclick: () => load(offset + limit) }, "→"));
    const eq = new URLSearchParams(params);
    exportsBox.replaceChildren(t("common.export") + ":",
      ...["geojson", "csv", "kml", "parquet"].map((fmt) => {
        eq.set("format", fmt);
        return h("a", { class: "button secondary", href: `/api/v1/exports/${name}?${eq}`, download: "", "data-format": fmt }, fmt.toUpperCase());
      }));
  }
  load(0);
};
