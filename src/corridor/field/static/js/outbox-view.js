// The outbox as the user sees it: every event kept on this phone, newest first, with
// its state badge and, for a rejected one, the reason, Fix and Discard (confirmed).

import { clock, number, t } from "./i18n.js";
import { clear, h } from "./dom.js";
import { onChange } from "./bus.js";
import { discard } from "./outbox.js";
import { FIX_ROUTES } from "./ctx.js";

function item(ctx, event) {
  const actions = event.state === "rejected" ? h("div", { class: "actions" },
    FIX_ROUTES[event.type]
      ? h("button", { type: "button", onclick: () => ctx.fix(event.id) }, t("outbox.fix"))
      : null,
    h("button", { type: "button", class: "danger", onclick: async () => {
      if (confirm(t("outbox.discard_confirm"))) await discard(event.id);
    } }, t("outbox.discard"))) : null;
  return h("li", { class: `outbox-item state-${event.state}`, "data-id": event.id },
    h("div", { class: "outbox-line" },
      h("span", { class: "outbox-type" }, t(`type.${event.type}`)),
      ctx.badge(event.id)),
    h("div", { class: "outbox-time" }, clock(new Date(event.recorded_at))),
    event.reason ? h("p", { class: "reason" }, event.reason) : null,
    actions);
}

// The newest this many are drawn; a phone holding thousands (a week's retention) says
// how many more it keeps. Rejected ones are always drawn: they wait for the user.
const SHOWN = 200;

export function renderOutbox(root, ctx) {
  const draw = () => {
    const events = ctx.events().reverse();
    const shown = events.filter((e, i) => i < SHOWN || e.state === "rejected");
    clear(root).append(h("section", {},
      h("h1", {}, t("outbox.title")),
      shown.length
        ? h("ul", { class: "outbox", "data-testid": "outbox" }, shown.map((e) => item(ctx, e)))
        : h("p", { class: "hint" }, t("outbox.empty")),
      events.length > shown.length
        ? h("p", { class: "hint" }, t("outbox.more", { n: number(events.length - shown.length) }))
        : null));
  };
  draw();
  return onChange((what) => { if (what.outbox || what.data) draw(); });
}
