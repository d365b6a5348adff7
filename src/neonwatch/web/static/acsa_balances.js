// Balances: what each party owes the other per currency (provided, settled, open), the orders
// overdue and by how many days, statements of account per party for a period (CSV and
// printable HTML straight from /api/v1/acsa/statement), and one consolidated figure in a chosen
// currency when a dated exchange rate has been recorded (otherwise the server's reason).
"use strict";
(async () => {
  const { h, t, api } = NW;
  const A = NW.acsa;
  const { main, ag } = await A.frame("balances");
  document.title = `neonwatch — ${t("acsa.balances")}`;
  main.append(h("h1", {}, t("acsa.balances")));
  if (!ag) return;
  const params = new URLSearchParams(location.search);
  const asOf = h("input", { type: "date", name: "as_of", id: "as-of", value: params.get("as_of") || A.today() });
  const form = h("form", { class: "filters card", onsubmit: (e) => {
    e.preventDefault();
    location.search = NW.query(form).toString();
  } }, h("label", {}, t("acsa.as_of"), asOf), h("button", { type: "submit" }, t("common.apply")));
  const balances = h("section", { class: "card", "data-testid": "balances" }, h("h2", {}, t("acsa.open_balances")));
  const overdue = h("section", { class: "card", "data-testid": "overdue" }, h("h2", {}, t("acsa.overdue_orders")));
  const consolidated = h("section", { class: "card", "data-testid": "consolidated" }, h("h2", {}, t("acsa.consolidated")));
  const statements = h("section", { class: "card", "data-testid": "statements" }, h("h2", {}, t("acsa.statements")));
  main.append(form, balances, overdue, h("div", { class: "grid2" }, consolidated, statements));
  const day = asOf.value;
  const num = (x) => h("span", { class: "num" }, x);

  async function showBalances() {
    let data;
    try { data = await api(`/acsa/balances?as_of=${day}`); } catch (err) { NW.showError(balances, err); return; }
    balances.append(data.balances.length ? NW.table(
      ["creditor", "debtor", "currency", "provided", "settled", "open"].map((c) => t("acsa.col." + c)),
      data.balances.map((b) => [A.partyName(b.creditor), A.partyName(b.debtor), b.currency,
        num(A.money(b.provided_minor, b.currency)), num(A.money(b.settled_minor, b.currency)),
        h("strong", { class: "num", "data-testid": `open-${b.creditor}-${b.debtor}-${b.currency}` }, A.money(b.open_minor, b.currency))]))
      : h("p", { class: "muted", "data-testid": "no-balances" }, t("acsa.no_balances")));
  }

  async function showOverdue() {
    let data;
    try { data = await api(`/acsa/overdue?as_of=${day}`); } catch (err) { NW.showError(overdue, err); return; }
    overdue.append(data.items.length ? NW.table(
      ["number", "debtor", "creditor", "open", "due", "days_overdue", "reason"].map((c) => t("acsa.col." + c)),
      data.items.map((o) => [h("a", { href: `/acsa/orders/${o.id || o.order_id}` }, o.number), o.debtor, o.creditor,
        num(A.money(o.open_minor, o.currency)), o.due, h("strong", { class: "num" }, String(o.days_overdue)), t("acsa.reason." + o.reason)]))
      : h("p", { class: "muted" }, t("acsa.nothing_overdue")));
  }

  function showStatements() {
    const start = h("input", { type: "date", id: "st-start", value: `${day.slice(0, 4)}-01-01` });
    const end = h("input", { type: "date", id: "st-end", value: day });
    const links = h("ul", { class: "plain" });
    const refresh = () => links.replaceChildren(...ag.parties.map((p) => {
      const q = (fmt) => `/api/v1/acsa/statement?${new URLSearchParams({ party: p.code, start: start.value, end: end.value, format: fmt })}`;
      return h("li", {}, h("span", {}, A.partyName(p.code)), " ",
        h("a", { class: "button secondary", href: q("html"), target: "_blank", "data-testid": `statement-html-${p.code}` }, t("acsa.statement_html")), " ",
        h("a", { class: "button secondary", href: q("csv"), download: "", "data-testid": `statement-csv-${p.code}` }, "CSV"));
    }));
    for (const el of [start, end]) el.addEventListener("change", refresh);
    statements.append(h("div", { class: "form-grid" }, h("label", {}, t("acsa.period_start"), start), h("label", {}, t("acsa.period_end"), end)), links);
    refresh();
  }

  async function showConsolidated() {
    const cur = h("select", { id: "cons-currency" }, ag.currencies.map((c) => h("option", { value: c.code, selected: params.get("currency") === c.code }, c.code)));
    const out = h("div", { "aria-live": "polite", "data-testid": "consolidated-figure" });
    consolidated.append(h("div", { class: "toolbar" }, h("label", {}, t("acsa.col.currency"), cur),
      h("span", { class: "muted" }, t("acsa.rates_on_or_before", { day }))), out);
    let asked = 0; // only the answer to the latest question is shown (answers may cross)
    async function load() {
      const mine = ++asked;
      out.replaceChildren(t("common.loading"));
      let view;
      try {
        const c = await api(`/acsa/consolidated?${new URLSearchParams({ currency: cur.value, rate_date: day })}`);
        view = consolidatedView(c);
      } catch (err) {
        // no rate recorded for a pair: the server names it; nothing is converted without one
        view = h("p", { class: err.status === 422 ? "muted" : "alert error", "data-testid": "no-rate" }, A.detailText(err));
      }
      if (mine === asked) out.replaceChildren(view);
    }
    cur.addEventListener("change", load);
    await load();
  }

  // the consolidated answer: who owes whom net, each direction, each balance with the rate it
  // used, and the recorded rates (pair, date, source) the figure rests on
  function consolidatedView(c) {
    const cur = c.currency;
    const box = h("div", {});
    if (!c.net) {
      box.append(h("p", { class: "muted" }, t("acsa.no_balances")));
      return box;
    }
    box.append(h("p", { class: "figure", "data-testid": "net" }, t("acsa.net_owes", { debtor: c.net.debtor, creditor: c.net.creditor }), " ",
      h("strong", {}, A.money(c.net.open_minor, cur))));
    box.append(NW.table(["creditor", "debtor", "currency", "open", "rate", "converted"].map((k) => t("acsa.col." + k)),
      (c.items || []).map((r) => [r.creditor, r.debtor, r.currency, num(A.money(r.open_minor, r.currency)),
        r.currency === cur ? "—" : r.rate, num(A.money(r.converted_minor, cur))])));
    if ((c.rates || []).length) {
      box.append(h("p", { class: "muted small", "data-testid": "rates" }, `${t("acsa.rates_used")}: `,
        c.rates.map((r) => `1 ${r.base} = ${r.rate} ${r.quote} (${r.as_of}${r.source ? ", " + r.source : ""})`).join("; ")));
    }
    return box;
  }

  showStatements();
  await Promise.all([showBalances(), showOverdue(), showConsolidated()]);
})();
