// The field app's boot and router. At start: the language, the service worker, the
// lost-store check; then sign-in (no store yet) or the lock screen (a store). Once
// unlocked: the status bar, the role's screens by hash route, the outbox, settings,
// and the idle lock.

import * as i18n from "./i18n.js";
import * as alarm from "./alarm.js";
import * as sync from "./sync.js";
import { ctx } from "./ctx.js";
import { clear, h } from "./dom.js";
import { changed, onChange } from "./bus.js";
import { lock as lockSession, session, stored, unlocked } from "./session.js";
import { mark, marker } from "./marker.js";
import { measure } from "./storage.js";
import { renderBar, renderAlarm, renderNav } from "./bar.js";
import { renderRenew, renderSignIn } from "./signin.js";
import { renderLock } from "./lock.js";
import { renderOutbox } from "./outbox-view.js";
import { renderSettings } from "./settings.js";

const SCREENS = { registrar: "registrar", checkpoint_monitor: "monitor", reception: "reception" };
const main = () => document.getElementById("main");
let cleanup = null;
let lastActive = Date.now();
let hiddenAt = null;
let updateReady = false;
let hasStore = false;  // no bar before there is a store to speak of

function idleMs() {
  return (Number(localStorage.getItem("corridor.idle_minutes")) || 5) * 60_000;
}

function show(render) {
  if (typeof cleanup === "function") cleanup();
  cleanup = null;
  const root = clear(main());
  cleanup = render(root);
}

function parse(hash) {
  const [path, query = ""] = hash.replace(/^#\/?/, "").split("?");
  const [screen = "home", sub = null] = path.split("/").filter(Boolean);
  return { screen, params: { sub, ...Object.fromEntries(new URLSearchParams(query)) } };
}

async function route() {
  if (!unlocked()) return;
  const { screen, params } = parse(location.hash);
  if (screen === "outbox") return show((root) => renderOutbox(root, ctx));
  if (screen === "settings") {
    return show((root) => renderSettings(root, ctx, { signedOut: boot, lock }));
  }
  if (screen === "renew") return show(renderRenew);
  const home = SCREENS[session.me.role];
  if (!home) {
    return show((root) => root.append(h("section", { class: "card" },
      h("h1", {}, i18n.t("role.web_only.title")),
      h("p", {}, i18n.t("role.web_only.text")),
      h("a", { class: "button", href: "/" }, i18n.t("role.web_only.open")))));
  }
  const name = screen === "home" || !Object.values(SCREENS).includes(screen) ? home : screen;
  try {
    const module = await import(`./screens/${name}.js`);
    show((root) => module.render(root, ctx, params));
  } catch (error) {
    console.error(`screen ${name} failed`, error);
    show((root) => root.append(h("section", { class: "card" },
      h("p", {}, i18n.t("screen.unavailable")))));
  }
}

function shell() {
  renderAlarm(document.getElementById("alarm"));
  const bar = document.getElementById("bar");
  if (hasStore) renderBar(bar, { locked: !unlocked() });
  else clear(bar);
  renderNav(document.getElementById("nav"), { locked: !unlocked(), lock });
}

// A line under the bar with one button; by default the button closes it. Kept as
// keys, so a change of language redraws it in the new one.
let shown = null;

function notice(key, label = "notice.close", action = null) {
  shown = { key, label, action };
  drawNotice();
}

function drawNotice() {
  const element = clear(document.getElementById("notice"));
  if (!shown) return;
  element.append(h("div", { class: "notice", "data-testid": "notice" }, i18n.t(shown.key),
    h("button", { type: "button", onclick: shown.action || dismiss }, i18n.t(shown.label))));
}

function dismiss() {
  shown = null;
  drawNotice();
}

// Unlocked (after a PIN set-up, with the browser's answer to persist()): sync starts,
// the role's screen shows.
async function opened({ persisted } = {}) {
  if (persisted !== undefined) {
    notice(persisted ? "settings.persisted" : "settings.not_persisted");
  }
  hasStore = true;
  lastActive = Date.now();
  shell();
  if (!location.hash) location.hash = "#/home";
  await route();
  sync.start();
  measure().then(() => changed({ storage: true }));
}

function lock() {
  sync.stop();
  lockSession();
  // Nothing is in memory now: the moment to take a new version of the app.
  if (updateReady) {
    location.reload();
    return;
  }
  dismiss();
  shell();
  show((root) => renderLock(root, { unlocked: opened, signIn: boot }));
}

function watchIdle() {
  for (const name of ["pointerdown", "keydown", "input"]) {
    addEventListener(name, () => { lastActive = Date.now(); }, { passive: true });
  }
  setInterval(() => {
    if (unlocked() && Date.now() - lastActive > idleMs()) lock();
  }, 10_000);
  // Timers sleep while the app is hidden: decide when it comes back.
  document.addEventListener("visibilitychange", () => {
    if (document.visibilityState === "hidden") {
      hiddenAt = Date.now();
    } else if (hiddenAt !== null && unlocked() && Date.now() - hiddenAt > idleMs()) {
      lock();
    }
  });
}

async function worker() {
  if (!("serviceWorker" in navigator)) return;
  const hadController = Boolean(navigator.serviceWorker.controller);
  navigator.serviceWorker.addEventListener("controllerchange", () => {
    if (!hadController) return;
    updateReady = true;
    notice("update.ready", "update.reload",
      () => (unlocked() ? lock() : location.reload()));
  });
  try {
    await navigator.serviceWorker.register("/field/sw.js", { scope: "/field" });
  } catch (error) {
    console.warn("service worker not registered", error);
  }
}

// The start, and after a sign-out: a store → the lock screen; none → sign in.
async function boot() {
  const store = await stored();
  hasStore = Boolean(store?.keyring);
  shell();
  if (store?.keyring) {
    show((root) => renderLock(root, { unlocked: opened, signIn: boot }));
  } else {
    show((root) => renderSignIn(root, { done: opened, wiped: Boolean(store) }));
  }
}

async function start() {
  await i18n.load();
  onChange(async (what) => {
    if (what.outbox && unlocked()) {
      mark({ unsent: (await sync.held()).unsent });
    }
    if (what.lang) {
      drawNotice();
      if (unlocked()) {
        shell();
        route();
      } else {
        boot();  // the sign-in or lock screen, in the new language
      }
    } else if (what.alarm || what.outbox || what.sync || what.session || what.storage) {
      shell();
    }
  });
  addEventListener("hashchange", route);
  watchIdle();
  worker();
  alarm.checkLocal(marker(), await stored());
  await boot();
}

start();
