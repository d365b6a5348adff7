// The ledger: orders with filters (status, party, activity, category; kept in the URL, so a
// filtered list can be shared and the back button works), paging, and totals by category and
// by activity per currency.
"use strict";
(async () => {
  const { h, t, api } = NW;
  const A = NW.acsa;
  const { main, ag } = await A.frame("orders");
  document.title = `neonwatch — ${t("acsa.ledger")}`;
  main.append(h("h1", {}, t("acsa.ledger")));
  if (!ag) return;
  const params = new URLSearchParams(location.search);
  const STATUSES = ["requested", "accepted", "provided", "received", "invoiced", "settled", "rejected", "cancelled"];
  const select = (name, codes, kind) => h("label", {}, t("acsa.filter." + name),
    h("select", { name, id: "f-" + name },
      h("option", { value: "" }, t("common.any")),
      codes.map((c) => h("option", { value: c, selected: params.get(name) === c }, A.label(kind, c)))));
  const form = h("form", { class: "filters card", "data-testid": "filters", onsubmit: (e) => {
    e.preventDefault();
    location.search = NW.query(form).toString();
  } },
    select("status", STATUSES, "status"),
    select("party", ag.parties.map((p) => p.code), "party"),
    select("activity", ag.activities.map((a) => a.code), "activity"),
    select("category", ag.categories.map((c) => c.code), "category"),
    h("button", { type: "submit" }, t("common.apply")),
    h("a", { class: "button secondary", href: location.pathname }, t("common.reset")));
  const summary = h("span", { class: "muted", "data-testid": "total" });
  const holder = h("div", { "data-testid": "orders" });
  const pager = h("div", { class: "pager" });
  const totals = h("div", { class: "grid2", "data-testid": "totals" });
  main.append(form, h("div", { class: "toolbar" }, summary), holder, pager, h("h2", {}, t("acsa.totals")), totals);

  const limit = 50;
  async function load(offset) {
    const q = new URLSearchParams(params);
    q.set("limit", limit);
    q.set("offset", offset);
    let data;
    try { data = await api(`/acsa/orders?${q}`); } catch (err) { NW.showError(main, err); return; }
    summary.textContent = t("common.total", { n: data.items.length, total: data.total });
    holder.replaceChildren(data.items.length ? NW.table(
      ["acsa.col.number", "acsa.col.status", "acsa.col.requesting", "acsa.col.supplying", "acsa.col.activity",
       "acsa.col.settlement", "acsa.col.total", "acsa.col.updated"].map((c) => t(c)),
      data.items.map((o) => [
        h("a", { href: `/acsa/orders/${o.id}`, "data-testid": "order-link" }, o.number),
        A.status(o.status), o.requesting, o.supplying, A.label("activity", o.activity),
        A.label("settlement", o.settlement), h("span", { class: "num" }, A.money(o.total_minor, o.currency)),
        A.when(o.updated_at || o.created_at)]))
      : h("p", { class: "muted" }, t("acsa.no_orders")));
    pager.replaceChildren(
      h("button", { class: "secondary", disabled: offset <= 0, onclick: () => load(Math.max(0, offset - limit)) }, "←"),
      h("span", {}, data.items.length ? `${offset + 1}–${offset + data.items.length}` : "0"),
      h("button", { class: "secondary", disabled: offset + limit >= data.total, onclick: () => load(offset + limit) }, "→"));
  }

  async function totalsBy(by) {
    const box = h("section", { class: "card", "data-testid": `totals-${by}` }, h("h3", {}, t(`acsa.totals_by.${by}`)));
    totals.append(box);
    let data;
    try { data = await api(`/acsa/totals?by=${by}`); } catch (err) { NW.showError(box, err); return; }
    box.append(data.items.length ? NW.table([t(`acsa.col.${by}`), t("acsa.col.orders"), t("acsa.col.total")],
      data.items.map((r) => [A.label(by, r.key), h("span", { class: "num" }, r.orders), h("span", { class: "num" }, A.money(r.total_minor, r.currency))]))
      : h("p", { class: "muted" }, t("common.none")));
  }

  await Promise.all([load(0), totalsBy("category"), totalsBy("activity")]);
})();
