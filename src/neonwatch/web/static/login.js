// Login: POST /api/v1/login sets the HttpOnly session cookie and the CSRF cookie.
"use strict";
(async () => {
  const { h, t, api } = NW;
  const main = await NW.page(null, { requireLogin: false });
  const status = h("div", { "aria-live": "polite" });
  const user = h("input", { name: "username", id: "username", autocomplete: "username", required: true, autofocus: true });
  const pass = h("input", { name: "password", id: "password", type: "password", autocomplete: "current-password", required: true });
  const form = h("form", { class: "card login", onsubmit: async (e) => {
    e.preventDefault();
    status.replaceChildren();
    try {
      await api("/login", { method: "POST", body: { username: user.value, password: pass.value }, noRedirect: true });
      const next = new URLSearchParams(location.search).get("next");
      location.href = next && next.startsWith("/") && !next.startsWith("//") ? next : "/map";
    } catch (err) {
      status.append(h("div", { class: "alert error", role: "alert", "data-testid": "error" }, `${t("login.failed")}: ${err.message}`));
      pass.select();
    }
  } },
    h("h1", {}, t("login.title")), h("p", { class: "muted" }, t("app.tagline")),
    h("label", {}, t("login.username"), user), h("label", {}, t("login.password"), pass),
    h("button", { type: "submit" }, t("login.submit")), status);
  main.append(form);
})();
