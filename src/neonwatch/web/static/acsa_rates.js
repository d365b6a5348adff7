// Exchange rates: the dated rates the consolidated balance converts with (the agreement never
// uses a live rate), newest first, and a form to record one. The server checks the currencies
// and the rate (a positive decimal) and says what is wrong; a recorded rate is never changed.
"use strict";
(async () => {
  const { h, t, api } = NW;
  const A = NW.acsa;
  const { main, ag } = await A.frame("rates");
  document.title = `neonwatch — ${t("acsa.rates")}`;
  main.append(h("h1", {}, t("acsa.rates")));
  if (!ag) return;
  const codes = ag.currencies.map((c) => c.code);
  const pick = (id, chosen) => h("select", { id, name: id }, codes.map((c) => h("option", { value: c, selected: c === chosen }, c)));
  const base = pick("rate-base", codes[codes.length - 1]);
  const quote = pick("rate-quote", codes[0]);
  const rate = h("input", { id: "rate-value", inputmode: "decimal", size: 14, required: true, placeholder: "0.0091" });
  const asOf = h("input", { id: "rate-date", type: "date", required: true, value: A.today() });
  const source = h("input", { id: "rate-source", size: 30, maxlength: 500, required: true, placeholder: t("acsa.rate_source_hint") });
  const said = h("div", { "aria-live": "polite" });
  const form = h("form", { class: "card", id: "rate-form", onsubmit: (ev) => { ev.preventDefault(); record(); } },
    h("h2", {}, t("acsa.record_rate")),
    h("div", { class: "form-grid" },
      h("label", {}, t("acsa.rate_base"), base), h("label", {}, t("acsa.rate_quote"), quote),
      h("label", {}, t("acsa.col.rate"), rate), h("label", {}, t("acsa.rate_date"), asOf),
      h("label", {}, t("acsa.rate_source"), source)),
    h("p", { class: "muted small" }, t("acsa.rate_means")),
    h("div", { class: "toolbar" }, h("button", { type: "submit", id: "rate-submit" }, t("acsa.record_rate"))),
    said);
  const list = h("section", { class: "card", "data-testid": "rates-list" }, h("h2", {}, t("acsa.recorded_rates")));
  main.append(form, list);

  async function record() {
    said.replaceChildren();
    const body = { base: base.value, quote: quote.value, rate: rate.value.trim(), as_of: asOf.value, source: source.value.trim() };
    try {
      const r = await api("/acsa/rates", { method: "POST", body });
      said.append(h("div", { class: "alert ok", role: "status", "data-testid": "rate-recorded" },
        t("acsa.rate_recorded", { pair: `1 ${r.base} = ${r.rate} ${r.quote}`, day: r.as_of })));
      rate.value = "";
      await show();
    } catch (err) {
      // the server's words: which field, and why (nothing was recorded)
      said.append(h("div", { class: "alert error", role: "alert", "data-testid": "rate-refused" }, A.detailText(err)));
    }
  }

  async function show() {
    let data;
    try { data = await api("/acsa/rates"); } catch (err) { NW.showError(list, err); return; }
    const body = data.items.length ? NW.table(
      ["rate_date", "rate_pair", "rate_source", "recorded_by", "recorded_at"].map((c) => t("acsa.col." + c)),
      data.items.map((r) => [r.as_of, h("span", { class: "num", "data-testid": "rate-pair" }, `1 ${r.base} = ${r.rate} ${r.quote}`),
        r.source, r.recorded_by, NW.fmtTime(r.recorded_at)]))
      : h("p", { class: "muted", "data-testid": "no-rates" }, t("acsa.no_rates"));
    list.replaceChildren(h("h2", {}, t("acsa.recorded_rates")), body);
  }

  await show();
})();
