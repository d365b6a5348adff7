// The order form. The requesting party is the reader's own (the agreement's "me"); the
// supplying party is another. Lines are added and removed; each line's amount and the order's
// total are shown as they are typed, exactly (BigInt minor units, half up per line, like the
// server). The checks here mirror the server's so a slip is caught before sending, but the
// server decides: its 422 message is shown verbatim beside the form. With ?amend=ID the form
// replaces the lines of a requested order (POST /orders/ID/amend with the version it read).
"use strict";
(async () => {
  const { h, t, api } = NW;
  const A = NW.acsa;
  const amendId = new URLSearchParams(location.search).get("amend");
  const { main, ag } = await A.frame(amendId ? null : "new_order");
  const title = amendId ? t("acsa.amend_title") : t("acsa.new_order");
  document.title = `neonwatch — ${title}`;
  main.append(h("h1", {}, title));
  if (!ag) return;
  const mine = ag.me.party; // the frame lets only a reader with a party this far
  let amending = null;
  if (amendId) {
    try { amending = await api(`/acsa/orders/${encodeURIComponent(amendId)}`); } catch (err) { NW.showError(main, err); return; }
  }

  const field = (key, input, extra = {}) => h("label", extra, t(key), input);
  const options = (list, kind, selected) => list.map((c) => h("option", { value: c, selected: c === selected },
    kind === "party" ? A.partyName(c) : A.label(kind, c)));
  const others = ag.parties.filter((p) => p.code !== mine).map((p) => p.code);
  const requesting = h("input", { id: "requesting", value: A.partyName(mine), readonly: true, "data-code": mine });
  const supplying = h("select", { id: "supplying", required: true }, options(others, "party", amending ? amending.supplying : others[0]));
  const activity = h("select", { id: "activity", required: true },
    h("option", { value: "" }, "—"), options(ag.activities.map((a) => a.code), "activity", amending && amending.activity));
  const settlement = h("select", { id: "settlement", required: true }, options(ag.settlement_methods, "settlement", amending ? amending.settlement : ag.settlement_methods[0]));
  const currency = h("select", { id: "currency", required: true }, options(ag.currencies.map((c) => c.code), "currency", amending ? amending.currency : ag.currencies[0].code));
  const reference = h("input", { id: "reference", maxlength: 200, placeholder: t("acsa.reference_hint"), value: amending ? amending.reference || "" : "" });
  const note = h("textarea", { id: "note", rows: 2, maxlength: 2000 });
  if (amending) for (const el of [supplying, activity, settlement, currency, reference]) el.disabled = true;

  const linesBody = h("tbody", { id: "lines" });
  const total = h("strong", { id: "total", "data-testid": "form-total" });
  const checks = h("div", { "aria-live": "polite", "data-testid": "checks" });
  const serverBox = h("div", { "aria-live": "assertive", "data-testid": "server-error" });
  const submit = h("button", { type: "submit", id: "submit" }, amending ? t("acsa.amend_submit") : t("acsa.submit"));

  function addLine(line = {}) {
    const n = linesBody.querySelectorAll("tr").length;
    const cat = h("select", { name: "category", "aria-label": t("acsa.col.category"), id: `l-category-${n}` },
      h("option", { value: "" }, "—"), options(ag.categories.map((c) => c.code), "category", line.category));
    const desc = h("input", { name: "description", "aria-label": t("acsa.col.description"), id: `l-description-${n}`, maxlength: 500, size: 28, value: line.description || "" });
    const qty = h("input", { name: "quantity", "aria-label": t("acsa.col.quantity"), id: `l-quantity-${n}`, inputmode: "decimal", size: 9, value: line.quantity || "" });
    const unit = h("select", { name: "unit", "aria-label": t("acsa.col.unit"), id: `l-unit-${n}` }, ag.units.map((u) => h("option", { value: u, selected: u === line.unit }, u)));
    const price = h("input", { name: "unit_price", "aria-label": t("acsa.col.unit_price"), id: `l-price-${n}`, inputmode: "decimal", size: 9, value: line.unit_price || "" });
    const amount = h("td", { class: "num", "data-testid": "line-amount" }, "—");
    const remove = h("button", { type: "button", class: "secondary", "aria-label": t("acsa.remove_line"), onclick: () => { row.remove(); recompute(); } }, "✕");
    const row = h("tr", { class: "line" }, h("td", {}, cat), h("td", {}, desc), h("td", {}, qty), h("td", {}, unit), h("td", {}, price), amount, h("td", {}, remove));
    for (const el of [qty, price]) el.addEventListener("input", recompute);
    linesBody.append(row);
    recompute();
  }

  // each line's problems (the server's rules that the page can know) and its amount
  function lineState(row) {
    const val = (n) => row.querySelector(`[name=${n}]`).value.trim();
    const problems = [];
    if (!val("category")) problems.push([row.querySelector("[name=category]"), t("acsa.check.category")]);
    if (!val("description")) problems.push([row.querySelector("[name=description]"), t("acsa.check.description")]);
    const q = A.quantity(val("quantity"));
    if (q.error) problems.push([row.querySelector("[name=quantity]"), q.error]);
    const p = A.toMinor(val("unit_price"), currency.value);
    if (p.error) problems.push([row.querySelector("[name=unit_price]"), p.error]);
    const amount = q.error || p.error ? null : A.lineAmount(q, p.minor);
    return { problems, amount, body: { category: val("category"), description: val("description"), quantity: val("quantity"), unit: val("unit"), unit_price: val("unit_price") } };
  }

  function recompute() {
    let sum = 0n;
    let complete = true;
    for (const row of linesBody.querySelectorAll("tr")) {
      const s = lineState(row);
      row.querySelector("[data-testid=line-amount]").textContent = s.amount === null ? "—" : A.money(s.amount, currency.value);
      if (s.amount === null) complete = false; else sum += s.amount;
    }
    total.textContent = A.money(sum, currency.value) + (complete ? "" : ` (${t("acsa.incomplete")})`);
  }
  currency.addEventListener("change", recompute);

  const form = h("form", { class: "card", id: "order-form", novalidate: true },
    h("fieldset", {}, h("legend", {}, t("acsa.order")), h("div", { class: "form-grid" },
      field("acsa.col.requesting", requesting), field("acsa.col.supplying", supplying), field("acsa.col.activity", activity),
      field("acsa.col.settlement", settlement), field("acsa.col.currency", currency), field("acsa.reference", reference))),
    h("fieldset", {}, h("legend", {}, t("acsa.lines")),
      h("table", { class: "lines" },
        h("thead", {}, h("tr", {}, ["category", "description", "quantity", "unit", "unit_price", "amount"].map((c) => h("th", { scope: "col" }, t("acsa.col." + c))), h("th", {}))),
        linesBody,
        h("tfoot", {}, h("tr", {}, h("th", { colspan: 5 }, t("acsa.col.total")), h("td", { class: "num" }, total), h("td", {})))),
      h("div", { class: "toolbar" }, h("button", { type: "button", class: "secondary", id: "add-line", onclick: () => addLine() }, t("acsa.add_line")))),
    field("acsa.note", note),
    h("div", { class: "toolbar" }, submit), checks, serverBox);
  main.append(form);
  if (amending) for (const l of amending.lines) addLine({ ...l, unit_price: A.minorToDecimal(l.unit_price_minor, A.exponent(amending.currency)) });
  else addLine();

  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    checks.replaceChildren();
    serverBox.replaceChildren();
    for (const el of form.querySelectorAll("[aria-invalid]")) el.removeAttribute("aria-invalid");
    const rows = [...linesBody.querySelectorAll("tr")];
    const states = rows.map(lineState);
    const problems = states.flatMap((s, i) => s.problems.map(([el, msg]) => [el, `${t("acsa.line")} ${i + 1}: ${msg}`]));
    if (!activity.value) problems.unshift([activity, t("acsa.check.activity")]);
    if (!rows.length) problems.push([form.querySelector("#add-line"), t("acsa.check.no_lines")]);
    else if (!problems.length && states.reduce((a, s) => a + s.amount, 0n) <= 0n) problems.push([rows[0].querySelector("[name=quantity]"), t("acsa.check.total")]);
    if (problems.length) {
      for (const [el] of problems) el.setAttribute("aria-invalid", "true");
      checks.append(h("div", { class: "alert error", role: "alert", "data-testid": "form-checks" },
        h("ul", {}, problems.map(([, msg]) => h("li", {}, msg)))));
      problems[0][0].focus();
      return;
    }
    const lines = states.map((s) => s.body);
    submit.disabled = true;
    try {
      const o = amending
        ? await api(`/acsa/orders/${amending.id}/amend`, { method: "POST", body: { version: amending.version, lines, note: note.value.trim() || null } })
        : await api("/acsa/orders", { method: "POST", body: {
          requesting: mine, supplying: supplying.value, activity: activity.value, settlement: settlement.value,
          currency: currency.value, reference: reference.value.trim() || null, note: note.value.trim() || null, lines } });
      location.href = `/acsa/orders/${o.id}`;
    } catch (err) {
      const words = err.status === 409 ? `${t("acsa.conflict")} ${A.detailText(err)}` : A.detailText(err);
      serverBox.append(h("div", { class: "alert error", role: "alert", "data-testid": "error" },
        h("strong", {}, `${t("acsa.server_refused")} (${err.status}): `), h("span", { class: "server-words", "data-testid": "server-words" }, words)));
      submit.disabled = false;
    }
  });
})();
