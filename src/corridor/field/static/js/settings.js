// Settings: language, idle lock, storage (persisted or not, used and free, the floor),
// lock now, and sign out — which warns when events are still unsent, since signing
// out deletes this phone's store.

import { number, t } from "./i18n.js";
import { clear, h } from "./dom.js";
import { onChange } from "./bus.js";
import { askPersist, floorBytes, measure } from "./storage.js";
import { api, held, stop } from "./sync.js";
import { destroy, session } from "./session.js";
import * as db from "./db.js";

const MB = 1024 * 1024;

function megabytes(bytes) {
  return number(Math.round(bytes / MB));
}

async function signOut(signedOut) {
  const counts = await held();
  const warning = counts.unsent ? t("settings.signout_unsent", { n: number(counts.unsent) })
    : t("settings.signout_confirm");
  if (!confirm(warning)) return;
  stop();
  try {  // the server learns this store closed on purpose (no alarm) and the token ends
    const store = await db.getMeta("store");
    await api("/api/sync/device", { method: "POST", body: { device_id: session.me.device_id,
      store_id: store.store_id, unsent: counts.unsent, oldest_unsent_at: counts.oldest,
      newest_recorded_at: counts.newest, closed: true } });
    await api("/api/auth/token", { method: "DELETE" });
  } catch (error) {
    console.info("signing out offline: the server will not hear of it", error);
  }
  await destroy();
  location.hash = "";
  await signedOut();
}

// A choice kept in localStorage (a number; no one's data).
function choice(label, key, fallback, options, unit) {
  const held = localStorage.getItem(key) || fallback;
  return h("label", { class: "field" }, h("span", {}, label),
    h("select", { name: key, onchange: (e) => localStorage.setItem(key, e.target.value) },
      options.map((n) => h("option", { value: n, selected: n === held }, t(unit, { n: number(n) })))));
}

export function renderSettings(root, ctx, { signedOut, lock }) {
  const draw = () => {
    const storage = ctx.storage();
    clear(root).append(h("section", { class: "settings" },
      h("h1", {}, t("settings.title")),
      h("div", { class: "card" }, h("h2", {}, t("settings.language")),
        h("div", { class: "choices" }, ["en", "ar"].map((lang) => h("button", {
          type: "button", class: ctx.lang === lang ? "chosen" : "", lang,
          onclick: () => ctx.setLang(lang) }, t(`lang.${lang}`))))),
      h("div", { class: "card" }, h("h2", {}, t("settings.storage")),
        h("p", { "data-testid": "persisted" },
          t(storage.persisted ? "settings.persisted" : "settings.not_persisted")),
        h("p", { "data-testid": "free" }, t("settings.free", {
          free: megabytes(storage.quota - storage.usage), used: megabytes(storage.usage) })),
        storage.floorOk ? null : h("p", { class: "warning" },
          t("settings.below_floor", { floor: megabytes(floorBytes()) })),
        storage.persisted ? null : h("button", { type: "button", onclick: async () => {
          await askPersist();
          await measure();
          draw();
        } }, t("settings.ask_persist"))),
      h("div", { class: "card" }, h("h2", {}, t("settings.lock")),
        h("button", { type: "button", onclick: lock }, t("settings.lock_now")),
        choice(t("settings.idle"), "corridor.idle_minutes", "5", ["1", "2", "5", "10", "15"],
          "settings.minutes")),
      h("div", { class: "card" }, h("h2", {}, t("settings.keeping")),
        choice(t("settings.floor"), "corridor.floor_mb", "20", ["10", "20", "50", "100"],
          "settings.megabytes"),
        choice(t("settings.retention"), "corridor.retention_days", "7", ["3", "7", "14", "30"],
          "settings.days")),
      h("div", { class: "card" }, h("h2", {}, t("settings.account")),
        h("p", {}, ctx.me.username, " · ", t(`role.${ctx.me.role}`),
          ctx.me.post_name ? ` · ${ctx.me.post_name}` : ""),
        h("button", { type: "button", class: "danger", onclick: () => signOut(signedOut) },
          t("settings.signout")))));
  };
  draw();
  measure().then(draw);
  return onChange((what) => { if (what.storage || what.lang) draw(); });
}
