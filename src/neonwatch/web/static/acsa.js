// neonwatch ACSA ledger pages: what the five pages share. The agreement (parties, categories,
// activities, currencies and their ISO 4217 exponents, the reader's own party) comes from
// /api/v1/acsa/agreement; nothing about the agreement is written here. Money is integer minor
// units (BigInt here, never floats): amounts typed in major units are parsed exactly, the way
// the server parses them (neonwatch.acsa.money), so the live total is the one the server stores.
"use strict";
NW.acsa = (() => {
  const { h, t, api } = NW;
  const QUANTITY_PLACES = 6; // the server's limit on a quantity's decimals (neonwatch.acsa.orders)
  let ag = null;

  // the page frame: banner, nav ("Ledger"), the ledger's own links, and the agreement.
  // Returns {main, ag}; ag is null (and a notice shown) when the reader may not see the ledger.
  async function frame(sub) {
    const main = await NW.page("ledger");
    // ledger entries carry no classification marking of their own: the banner is the reader's,
    // as on any page of this server, without the "no records shown" note
    NW.setMarking(Object.assign({}, NW.me.empty_marking, { empty: false }));
    main.append(h("nav", { class: "toolbar subnav", "data-testid": "ledger-nav" },
      [["orders", "/acsa"], ["new_order", "/acsa/orders/new"], ["balances", "/acsa/balances"], ["rates", "/acsa/rates"]].map(([k, href]) =>
        h("a", { href, class: "button" + (k === sub ? "" : " secondary"), "aria-current": k === sub ? "page" : null }, t("acsa.nav." + k)))));
    const refused = () => {
      main.append(h("div", { class: "alert error", role: "alert", "data-testid": "no-access" }, t("acsa.no_access")));
      return { main, ag: null };
    };
    try {
      ag = await api("/acsa/agreement");
    } catch (err) {
      if (err.status === 403 || err.status === 404) return refused();
      throw err;
    }
    // the agreement is public; "me.party" is null for a reader outside the ledger's group
    return ag.me && ag.me.party ? { main, ag } : refused();
  }

  // a code's name. The agreement's own names (parties, categories, activities) are its
  // English; the catalogue (acsa.KIND.CODE) translates them and names the rest (statuses,
  // actions, settlement methods)
  function label(kind, code) {
    if (code === null || code === undefined || code === "") return "—";
    const list = { party: ag && ag.parties, category: ag && ag.categories, activity: ag && ag.activities }[kind];
    const found = (list || []).find((x) => x.code === code);
    const key = `acsa.${kind}.${code}`;
    const own = t(key);
    if (own !== key && !(found && document.documentElement.lang === "en")) return own;
    return found ? found.name : String(code);
  }
  const partyName = (code) => {
    const p = ag && ag.parties.find((x) => x.code === code);
    return p ? `${p.code} — ${label("party", code)}` : String(code);
  };

  function exponent(currency) {
    const c = ag && ag.currencies.find((x) => x.code === currency);
    return c ? c.exponent : 2;
  }

  // integer minor units -> plain decimal string in major units ("162000.00", "150")
  function minorToDecimal(minor, exp) {
    let v = BigInt(minor);
    const neg = v < 0n;
    if (neg) v = -v;
    let s = v.toString();
    if (exp > 0) {
      s = s.padStart(exp + 1, "0");
      s = `${s.slice(0, -exp)}.${s.slice(-exp)}`;
    }
    return (neg ? "-" : "") + s;
  }

  // for people: "CAD 162,000.00" (grouping of the page's language; formatted from the exact
  // decimal string, so no float ever holds the amount)
  function money(minor, currency) {
    if (minor === null || minor === undefined) return "—";
    const exp = exponent(currency);
    const nf = new Intl.NumberFormat(document.documentElement.lang || "en",
      { minimumFractionDigits: exp, maximumFractionDigits: exp });
    return `${currency} ${nf.format(minorToDecimal(minor, exp))}`;
  }

  // "12.50" -> {digits: 1250n, places: 2} (trailing zeros dropped), or null if not a plain
  // non-negative decimal number
  function parseDecimal(text) {
    const m = /^\s*(\d*)(?:\.(\d*))?\s*$/.exec(String(text));
    if (!m || (m[1] === "" && !m[2])) return null;
    const frac = (m[2] || "").replace(/0+$/, "");
    return { digits: BigInt((m[1] || "0") + frac), places: frac.length };
  }

  // a unit price typed in major units -> {minor} or {error}; the server's checks, same words
  function toMinor(text, currency) {
    const exp = exponent(currency);
    const d = parseDecimal(text);
    if (!d) return { error: t("acsa.check.price_number") };
    if (d.places > exp) {
      return { error: t(exp === 0 ? "acsa.check.price_no_decimals" : "acsa.check.price_places", { currency, exp }) };
    }
    return { minor: d.digits * 10n ** BigInt(exp - d.places) };
  }

  function quantity(text) {
    const d = parseDecimal(text);
    if (!d || d.digits <= 0n || d.places > QUANTITY_PLACES) return { error: t("acsa.check.quantity", { places: QUANTITY_PLACES }) };
    return d;
  }

  // quantity x unit price in minor units, rounded half up once per line (as the server does)
  function lineAmount(q, priceMinor) {
    const scale = 10n ** BigInt(q.places);
    return (2n * q.digits * priceMinor + scale) / (2n * scale);
  }

  const status = (s) => h("span", { class: `status status-${s}`, "data-testid": "status" }, label("status", s));

  // a UTC instant in the reader's zone, the UTC text in a tooltip
  function when(iso) {
    const d = iso ? new Date(iso) : null;
    const utc = d && !isNaN(d) ? `${d.toISOString().slice(0, 19).replace("T", " ")} UTC` : null;
    return h("time", { datetime: iso, title: utc }, NW.fmtTime(iso));
  }

  // the API's 422 detail as sent: its own words, or FastAPI's list of problems one per line
  function detailText(err) {
    const d = err && err.detail;
    if (Array.isArray(d)) return d.map((x) => `${(x.loc || []).filter((p) => p !== "body").join(".")}: ${x.msg}`).join("\n");
    return err && err.message ? err.message : String(err);
  }

  // today's date in the zone the reader picked (the frame's "Times in"), as YYYY-MM-DD
  const today = () => new Intl.DateTimeFormat("en-CA", { timeZone: localStorage.getItem("nw.tz") || undefined,
    year: "numeric", month: "2-digit", day: "2-digit" }).format(new Date());

  return { frame, label, partyName, exponent, minorToDecimal, money, parseDecimal, toMinor,
           quantity, lineAmount, status, when, detailText, today, get ag() { return ag; } };
})();
