// The status bar, the bottom navigation and the alarm banner. The bar says what the
// phone holds and what the server last confirmed: "N unsent, oldest X ago · last
// confirmed sync HH:MM (server time) · epoch abcd", or "All sent" only when nothing
// is unacknowledged in the current epoch. Locked, it shows counts only.

import * as alarm from "./alarm.js";
import * as outbox from "./outbox.js";
import { ago, clock, currentLang, dateTime, load, number, t } from "./i18n.js";
import { changed } from "./bus.js";
import { clear, h } from "./dom.js";
import { status, syncNow, watermark } from "./sync.js";

let drawing = 0;

export async function renderBar(element, { locked }) {
  const turn = ++drawing;
  const sync = await watermark().catch(() => ({ epoch: null, confirmed: null }));
  const counts = await outbox.counts(sync.epoch).catch(() => null);
  if (turn !== drawing) return;  // a newer draw has started
  clear(element);
  if (!counts) return;
  const summary = counts.unsent
    ? t("bar.unsent", { n: number(counts.unsent),
      ago: counts.oldest ? ago(Date.now() - Date.parse(counts.oldest)) : "" })
    : t("bar.all_sent");
  const lines = [h("div", { class: `bar-summary ${counts.unsent ? "bar-unsent" : "bar-ok"}`,
    "data-testid": "bar-summary" }, summary)];
  if (counts.rejected) {
    lines.push(h("div", { class: "bar-rejected" }, t("bar.rejected", { n: number(counts.rejected) })));
  }
  if (!locked) {
    const confirmed = sync.confirmed ? clock(new Date(sync.confirmed)) : t("bar.never");
    const epoch = sync.epoch ? sync.epoch.slice(0, 4) : "—";
    lines.push(h("div", { class: "bar-detail", "data-testid": "bar-detail" },
      t("bar.confirmed", { time: confirmed }), " · ", t("bar.epoch", { epoch })));
    if (status.error) lines.push(h("div", { class: "bar-error" }, t(status.error)));
    if (status.error === "sync.unauthorised") {
      lines.push(h("a", { class: "bar-link", href: "#/renew" }, t("renew.title")));
    }
  }
  element.append(h("div", { class: "bar-text" }, lines));
  if (!locked) {
    element.append(h("button", { type: "button", class: "send-now", disabled: status.syncing,
      onclick: () => syncNow() }, status.syncing ? t("bar.sending") : t("bar.send_now")));
  }
}

export function renderNav(element, { locked, lock }) {
  clear(element);
  if (locked) return;
  const link = (hash, key) => h("a", { href: hash, class: "nav-item" }, t(key));
  element.append(link("#/home", "nav.home"), link("#/outbox", "nav.outbox"),
    link("#/settings", "nav.settings"),
    h("button", { type: "button", class: "nav-item", onclick: lock }, t("nav.lock")));
}

function storeLine(kind, store) {
  const vars = { created: dateTime(new Date(store.created_at || store.created)),
    reported: store.reported_at ? ago(Date.now() - Date.parse(store.reported_at)) : "",
    n: number(store.unsent ?? 0) };
  if (kind === "local") return t(store.unsent > 0 ? "alarm.local_unsent" : "alarm.local_line", vars);
  return t(store.unsent > 0 ? "alarm.store_unsent" : "alarm.store_clean", vars);
}

// Every earlier store that held unsent records is named, but no more than this many of
// those that held none: an account signed in on many phones would fill the screen.
const CLEAN_NAMED = 2;

export function renderAlarm(element) {
  clear(element);
  const raised = alarm.current();
  if (!raised) return;
  const level = alarm.level(raised);
  const stores = raised.kind === "server" ? raised.earlier : [raised];
  const clean = stores.filter((s) => !(s.unsent > 0));
  const named = [...stores.filter((s) => s.unsent > 0), ...clean.slice(0, CLEAN_NAMED)];
  const unnamed = clean.length - Math.min(clean.length, CLEAN_NAMED);
  element.append(h("div", { class: `alarm alarm-${level}`, "data-testid": "alarm" },
    h("strong", {}, t(raised.kind === "server" ? "alarm.server_title" : "alarm.local_title")),
    named.map((s) => h("p", {}, storeLine(raised.kind, s))),
    unnamed ? h("p", {}, t("alarm.more_clean", { n: number(unnamed) })) : null,
    h("p", {}, t(level === "red" ? "alarm.red_advice" : "alarm.amber_advice")),
    h("button", { type: "button", onclick: alarm.dismiss }, t("alarm.dismiss"))));
}

// The other language, on the screens before unlocking (settings has both after).
export function languageSwitch() {
  const other = currentLang() === "ar" ? "en" : "ar";
  return h("button", { type: "button", class: "lang-switch", lang: other, onclick: async () => {
    await load(other);
    changed({ lang: true });
  } }, t(`lang.${other}`));
}
