// Signing in (online, once per store) and setting the PIN. The password goes to the
// server for a bearer token for this device; the token and the account are then kept
// only sealed under a data key that the PIN wraps.

import * as db from "./db.js";
import { t, number } from "./i18n.js";
import { clear, h } from "./dom.js";
import { HttpError, api, syncNow } from "./sync.js";
import { askPersist, measure } from "./storage.js";
import { calibrate } from "./crypto.js";
import { create, renew, session } from "./session.js";
import { languageSwitch } from "./bar.js";

const MIN_PIN = 6;

function field(label, input) {
  return h("label", { class: "field" }, h("span", {}, label), input);
}

function deviceLabel() {
  const bytes = crypto.getRandomValues(new Uint8Array(3));
  return `phone-${[...bytes].map((b) => b.toString(16).padStart(2, "0")).join("")}`;
}

function failure(error) {
  if (!(error instanceof HttpError)) return t("signin.offline");
  if (error.status === 401) return t("signin.wrong");
  return t(error.status === 429 ? "signin.throttled" : "signin.failed");
}

export function renderSignIn(root, { done, wiped }) {
  const error = h("p", { class: "error", role: "alert" });
  const username = h("input", { name: "username", autocomplete: "username", required: true,
    autocapitalize: "none", spellcheck: "false" });
  const password = h("input", { name: "password", type: "password", required: true,
    autocomplete: "current-password" });
  const device = h("input", { name: "device", value: deviceLabel(), required: true,
    maxlength: "60" });
  const submit = h("button", { type: "submit", class: "primary" }, t("signin.submit"));
  const form = h("form", { class: "card", onsubmit: async (event) => {
    event.preventDefault();
    submit.disabled = true;
    error.textContent = "";
    try {
      const { token } = await api("/api/auth/token", { method: "POST", token: null,
        body: { username: username.value.trim(), password: password.value,
          device: device.value.trim() } });
      const me = await api("/api/me", { token });
      if (wiped) await db.destroy();  // the old store can never be opened again
      clear(root).append(pinSetup(token, me, done));
    } catch (refused) {
      error.textContent = failure(refused);
      submit.disabled = false;
    }
  } },
  h("div", { class: "title-row" }, h("h1", {}, t("signin.title")), languageSwitch()),
  wiped ? h("p", { class: "warning" }, t("signin.wiped")) : null,
  h("p", { class: "hint" }, t("signin.online_once")),
  field(t("signin.username"), username), field(t("signin.password"), password),
  field(t("signin.device"), device), error, submit);
  root.append(form);
}

function pinSetup(token, me, done) {
  const error = h("p", { class: "error", role: "alert" });
  const pin = h("input", { name: "pin", type: "password", inputmode: "numeric",
    autocomplete: "new-password", pattern: "[0-9]*", minlength: String(MIN_PIN), required: true });
  const again = h("input", { name: "pin_again", type: "password", inputmode: "numeric",
    autocomplete: "new-password", pattern: "[0-9]*", required: true });
  const calibration = h("p", { class: "hint", "data-testid": "calibration" }, t("pin.measuring"));
  const submit = h("button", { type: "submit", class: "primary", disabled: true }, t("pin.submit"));
  let measured = null;
  calibrate().then((result) => {
    measured = result;
    calibration.textContent = t("pin.calibrated", { iterations: number(result.iterations),
      ms: number(result.expectedMs) });
    submit.disabled = false;
  });
  return h("form", { class: "card", onsubmit: async (event) => {
    event.preventDefault();
    if (!/^[0-9]+$/.test(pin.value) || pin.value.length < MIN_PIN) {
      error.textContent = t("pin.too_short", { n: MIN_PIN });
      return;
    }
    if (pin.value !== again.value) {
      error.textContent = t("pin.mismatch");
      return;
    }
    submit.disabled = true;
    await create(token, me, pin.value, measured.iterations);
    const persisted = await askPersist();
    await measure();
    await done({ persisted });
  } },
  h("h1", {}, t("pin.title")), h("p", {}, t("pin.explain")),
  field(t("pin.pin"), pin), field(t("pin.again"), again), calibration, error, submit);
}

// Signing in again with the store kept, when the server no longer takes the token.
export function renderRenew(root) {
  const error = h("p", { class: "error", role: "alert" });
  const password = h("input", { name: "password", type: "password", required: true,
    autocomplete: "current-password" });
  const submit = h("button", { type: "submit", class: "primary" }, t("renew.submit"));
  root.append(h("form", { class: "card", onsubmit: async (event) => {
    event.preventDefault();
    submit.disabled = true;
    try {
      const { token } = await api("/api/auth/token", { method: "POST", token: null, body: {
        username: session.me.username, password: password.value, device: session.me.device_id } });
      await renew(token, await api("/api/me", { token }));
      location.hash = "#/home";
      syncNow();
    } catch (refused) {
      error.textContent = failure(refused);
      submit.disabled = false;
    }
  } }, h("h1", {}, t("renew.title")), h("p", {}, t("renew.explain")),
  h("p", {}, session.me.username),
  field(t("signin.password"), password), error, submit));
}
