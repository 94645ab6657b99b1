// The lock screen: a PIN pad and counts, never a name. A wrong PIN decrypts nothing
// and is counted; after MAX_ATTEMPTS the wrapped key is wiped (session.unlock).

import { t, number } from "./i18n.js";
import { h } from "./dom.js";
import { MAX_ATTEMPTS, attempts, forget, unlock } from "./session.js";
import { held } from "./sync.js";
import { languageSwitch } from "./bar.js";

export function renderLock(root, { unlocked, signIn }) {
  let pin = "";
  let checking = false;  // keys pressed while a PIN is checked are not the next PIN's
  const dots = h("div", { class: "pin-dots", "data-testid": "pin-dots", "aria-live": "polite" });
  const message = h("p", { class: "error", role: "alert" });
  const draw = () => { dots.textContent = "●".repeat(pin.length) || "\u00a0"; };
  const press = (digit) => {
    if (!checking && pin.length < 12) pin += digit;
    draw();
  };
  const submit = async () => {
    if (!pin || checking) return;
    checking = true;
    message.textContent = t("lock.checking");
    const result = await unlock(pin);
    checking = false;
    pin = "";
    draw();
    if (result.ok) {
      await unlocked();
    } else if (result.wiped) {
      await signIn();
    } else {
      message.textContent = t("lock.wrong", { n: number(result.left) });
    }
  };
  const key = (label, action, extra = {}) => h("button", { type: "button", class: "pin-key",
    onclick: action, ...extra }, label);
  const pad = h("div", { class: "pin-pad" },
    ..."123456789".split("").map((d) => key(d, () => press(d), { "data-digit": d })),
    key("⌫", () => { pin = pin.slice(0, -1); draw(); }, { "aria-label": t("lock.erase") }),
    key("0", () => press("0"), { "data-digit": "0" }),
    key(t("lock.open"), submit, { class: "pin-key pin-ok" }));
  const typed = (event) => {
    if (/^[0-9]$/.test(event.key)) press(event.key);
    else if (event.key === "Backspace") { pin = pin.slice(0, -1); draw(); }
    else if (event.key === "Enter") submit();
  };
  addEventListener("keydown", typed);
  draw();
  attempts().then((n) => {
    if (n) message.textContent = t("lock.wrong", { n: number(MAX_ATTEMPTS - n) });
  });
  const forgotten = async () => {
    const { unsent } = await held();
    if (!confirm(t("lock.forgot_confirm", { n: number(unsent) }))) return;
    await forget();
    await signIn();
  };
  root.append(h("section", { class: "lock" },
    h("div", { class: "title-row" }, h("h1", {}, t("lock.title")), languageSwitch()),
    dots, message, pad,
    h("button", { type: "button", class: "link", onclick: forgotten }, t("lock.forgot"))));
  return () => removeEventListener("keydown", typed);
}
