// One order: its lines and total, status, dates that fall due, the timeline of its history
// (who, for which party, when in the reader's zone with UTC in a tooltip, note), and one button
// for each action the API says this reader may take now (allowed_actions, nothing more). Each
// action sends the version the page read; a 409 means someone changed the order first: the page
// says so and shows the order as it now is.
"use strict";
(async () => {
  const { h, t, api } = NW;
  const A = NW.acsa;
  const { main, ag } = await A.frame(null);
  if (!ag) return;
  const id = location.pathname.split("/").pop();
  const notices = h("div", { "aria-live": "polite", "data-testid": "notices" });
  const body = h("div", {});
  main.append(notices, body);

  async function load() {
    try { return await api(`/acsa/orders/${encodeURIComponent(id)}`); } catch (err) {
      body.replaceChildren(h("h1", {}, t("acsa.order")));
      NW.showError(body, err);
      return null;
    }
  }

  function notice(kind, ...text) {
    notices.replaceChildren(h("div", { class: `alert ${kind}`, role: kind === "error" ? "alert" : "status", "data-testid": kind === "error" ? "error" : "done" }, ...text));
  }

  function render(o) {
    document.title = `neonwatch — ${o.number}`;
    const dl = (pairs) => h("dl", { class: "facts" }, pairs.filter(([, v]) => v !== null && v !== undefined && v !== "")
      .flatMap(([k, v]) => [h("dt", {}, t(k)), h("dd", {}, v)]));
    const due = [];
    if (o.settled_minor) due.push(["acsa.col.settled", A.money(o.settled_minor, o.currency)]);
    if (o.open_minor) due.push(["acsa.col.open", h("strong", { "data-testid": "order-open" }, A.money(o.open_minor, o.currency))]);
    if (o.invoiced_at) due.push(["acsa.invoiced_at", A.when(o.invoiced_at)]);
    if (o.payment_due) due.push(["acsa.payment_due", o.payment_due]);
    if (o.in_kind_due) due.push(["acsa.in_kind_due", o.in_kind_due]);
    if (o.overdue_days !== null && o.overdue_days !== undefined) {
      due.push(["acsa.overdue", h("strong", { class: "overdue", "data-testid": "overdue" }, t("acsa.days_overdue", { n: o.overdue_days }))]);
    }
    const lines = NW.table(
      ["#", ...["category", "description", "quantity", "unit", "unit_price", "amount"].map((c) => t("acsa.col." + c))],
      o.lines.map((l) => [l.line_no, A.label("category", l.category), l.description, h("span", { class: "num" }, l.quantity), l.unit,
        h("span", { class: "num" }, A.money(l.unit_price_minor, o.currency)), h("span", { class: "num" }, A.money(l.amount_minor, o.currency))]));
    lines.querySelector("tbody").after(h("tfoot", {}, h("tr", {}, h("th", { colspan: 6 }, t("acsa.col.total")),
      h("td", { class: "num", "data-testid": "order-total" }, h("strong", {}, A.money(o.total_minor, o.currency))))));
    lines.dataset.testid = "lines";
    body.replaceChildren(
      h("h1", { "data-testid": "order-title" }, `${t("acsa.order")} ${o.number} `, A.status(o.status)),
      h("div", { class: "grid2" },
        h("section", { class: "card" }, dl([
          ["acsa.col.requesting", A.partyName(o.requesting)], ["acsa.col.supplying", A.partyName(o.supplying)],
          ["acsa.col.activity", A.label("activity", o.activity)], ["acsa.col.settlement", A.label("settlement", o.settlement)],
          ["acsa.col.currency", o.currency], ["acsa.reference", o.reference], ["acsa.note", o.note], ["acsa.version", String(o.version)]])),
        h("section", { class: "card", "data-testid": "actions" }, h("h2", {}, t("acsa.actions")), actions(o), due.length ? dl(due) : null)),
      h("section", { class: "card" }, h("h2", {}, t("acsa.lines")), lines),
      h("section", { class: "card" }, h("h2", {}, t("acsa.history")), timeline(o.history, o.currency)));
  }

  function timeline(history, currency) {
    return h("ol", { class: "timeline", "data-testid": "history" }, history.map((e) => h("li", { "data-action": e.action },
      h("div", {}, h("strong", {}, A.label("event", e.action)), " ",
        e.from_status ? h("span", { class: "muted" }, `${A.label("status", e.from_status)} → ${A.label("status", e.to_status)}`)
          : h("span", { class: "muted" }, `→ ${A.label("status", e.to_status)}`)),
      h("div", {}, A.when(e.at), " · ", h("span", { "data-testid": "actor" }, e.actor), " · ", e.party),
      detailLine(e.detail, currency),
      e.note ? h("blockquote", {}, e.note) : null)));
  }

  // what a step recorded beyond its status (a settlement's method and amount, an amendment's
  // revision), as the server wrote it
  function detailLine(detail, currency) {
    const entries = Object.entries(detail || {}).filter(([, v]) => v !== null && typeof v !== "object");
    const text = ([k, v]) => (k.endsWith("_minor") ? `${A.label("detail", k.slice(0, -6))}: ${A.money(v, currency)}`
      : `${A.label("detail", k)}: ${k === "method" ? A.label("settlement", v) : v}`);
    return entries.length ? h("div", { class: "muted small", "data-testid": "detail" }, entries.map(text).join(" · ")) : null;
  }

  function actions(o) {
    const allowed = o.allowed_actions || [];
    if (!allowed.length) return h("p", { class: "muted", "data-testid": "no-actions" }, t("acsa.no_actions"));
    const note = h("input", { id: "action-note", maxlength: 2000, size: 30, placeholder: t("acsa.note_hint") });
    const box = h("div", {}, h("label", {}, t("acsa.note"), note));
    const buttons = h("div", { class: "toolbar" });
    box.append(buttons);
    for (const action of allowed) {
      if (action === "amend") {
        buttons.append(h("a", { class: "button secondary", href: `/acsa/orders/new?amend=${o.id}`, "data-action": "amend" }, t("acsa.action.amend")));
      } else if (action === "settle") {
        buttons.append(h("button", { type: "button", "data-action": "settle", onclick: () => { settleForm.hidden = false; settleForm.querySelector("select").focus(); } }, t("acsa.action.settle")));
      } else {
        buttons.append(h("button", { type: "button", "data-action": action, class: ["reject", "cancel"].includes(action) ? "secondary" : null,
          onclick: () => {
            // rejecting or cancelling ends the order for both forces: ask first
            if (["reject", "cancel"].includes(action) && !window.confirm(t("acsa.confirm." + action, { number: o.number }))) return;
            act(o, action, { note: note.value.trim() || null });
          } }, t("acsa.action." + action)));
      }
    }
    const settleForm = settleFormFor(o, note);
    if (allowed.includes("settle")) box.append(settleForm);
    return box;
  }

  function settleFormFor(o, note) {
    const method = h("select", { id: "settle-method" }, ag.settlement_methods.map((m) => h("option", { value: m, selected: m === o.settlement }, A.label("settlement", m))));
    const amount = h("input", { id: "settle-amount", inputmode: "decimal", size: 12, placeholder: o.open_minor ? A.minorToDecimal(o.open_minor, A.exponent(o.currency)) : t("acsa.open_amount") });
    const problem = h("div", { "aria-live": "polite" });
    const form = h("form", { class: "card", id: "settle-form", hidden: true, onsubmit: (ev) => {
      ev.preventDefault();
      problem.replaceChildren();
      const body = { note: note.value.trim() || null, method: method.value };
      if (amount.value.trim()) {
        const m = A.toMinor(amount.value, o.currency);
        if (m.error || m.minor <= 0n) {
          amount.setAttribute("aria-invalid", "true");
          problem.append(h("div", { class: "alert error", role: "alert", "data-testid": "settle-check" }, m.error || t("acsa.check.amount_positive")));
          return;
        }
        body.amount = amount.value.trim();
      }
      act(o, "settle", body);
    } },
      h("div", { class: "form-grid" }, h("label", {}, t("acsa.settle_method"), method),
        h("label", {}, `${t("acsa.settle_amount")} (${o.currency})`, amount)),
      h("div", { class: "toolbar" }, h("button", { type: "submit", id: "settle-submit" }, t("acsa.settle_submit")),
        h("button", { type: "button", class: "secondary", onclick: () => { form.hidden = true; } }, t("acsa.close"))),
      problem);
    return form;
  }

  async function act(o, action, extra) {
    for (const b of body.querySelectorAll("[data-testid=actions] button")) b.disabled = true;
    try {
      const next = await api(`/acsa/orders/${o.id}/${action}`, { method: "POST", body: { version: o.version, ...extra } });
      notice("ok", t("acsa.done", { action: A.label("action", action), status: A.label("status", next.status) }));
      render(next);
    } catch (err) {
      if (err.status === 409) {
        notice("error", h("strong", {}, t("acsa.conflict")), " ", h("span", { class: "server-words" }, A.detailText(err)));
        const fresh = await load();
        if (fresh) render(fresh);
        return;
      }
      notice("error", h("strong", {}, `${t("acsa.server_refused")} (${err.status}): `), h("span", { class: "server-words" }, A.detailText(err)));
      for (const b of body.querySelectorAll("[data-testid=actions] button")) b.disabled = false;
    }
  }

  const o = await load();
  if (o) render(o);
})();
