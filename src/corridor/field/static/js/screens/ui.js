// What the three roles' screens share: building elements, form fields with their
// error beside them, the "saved" confirmation with the record's state, a code shown
// big with its QR, and this phone's own records laid over what the last pull gave.

import { encode } from "../../vendor/uqr/index.mjs";
import { KINDS, payload, withCheck } from "../codes.js";
import { h as element } from "../dom.js";

// dom.js's element builder, with `text` for an element's only text.
export function h(tag, attrs = {}, ...children) {
  const { text, ...rest } = attrs;
  return element(tag, rest, text ?? null, ...children);
}

const present = (children) => children.flat().filter((c) => c !== null && c !== undefined && c !== false);

// An element's children replaced, or added to, leaving out null and false (the DOM
// would write them as text).
export const fill = (element, ...children) => element.replaceChildren(...present(children));
export const add = (element, ...children) => element.append(...present(children));

// A labelled field: {name, label, input, hint, optional}; the input gets id and name.
export function field(ctx, { name, label, input, hint, optional }) {
  input.id ||= `f-${name}`;
  input.name ||= name;
  const error = h("p", { class: "field-error", id: `${input.id}-error`, hidden: true });
  input.setAttribute("aria-describedby", error.id);
  return h("div", { class: "field", "data-field": name },
    h("label", { for: input.id }, label,
      optional ? h("small", { text: ` (${ctx.t("form.optional")})` }) : null),
    input, hint ? h("p", { class: "hint", text: hint }) : null, error);
}

// Shows `errors` ({name: message}) beside their fields in `form`, clearing the others,
// and puts the first one in view. Returns whether there were none.
export function showErrors(form, errors, summary) {
  for (const block of form.querySelectorAll("[data-field]")) {
    const message = errors[block.dataset.field];
    const error = block.querySelector(".field-error");
    const input = block.querySelector("input, select, textarea");
    error.textContent = message || "";
    error.hidden = !message;
    input?.toggleAttribute("aria-invalid", Boolean(message));
  }
  const names = Object.keys(errors);
  if (summary) {
    summary.textContent = names.length ? errors[names[0]] : "";
    summary.hidden = !names.length;
  }
  if (names.length) {
    const first = form.querySelector(`[data-field="${CSS.escape(names[0])}"]`);
    (first?.querySelector("input, select, textarea") || first)?.focus();
  }
  return !names.length;
}

export function select(options, value, blank) {
  return h("select", {}, blank ? h("option", { value: "", text: blank }) : null,
    options.map(([key, label]) => h("option", { value: key, selected: key === value, text: label })));
}

// Radio buttons as big tappable choices; `name` groups them.
export function choices(name, options, value) {
  return h("div", { class: "choices", role: "radiogroup" }, options.map(([key, label]) =>
    h("label", { class: "choice" },
      h("input", { type: "radio", name, value: key, checked: key === value }), h("span", { text: label }))));
}

export function checkboxes(name, options, values = []) {
  return h("div", { class: "choices" }, options.map(([key, label]) =>
    h("label", { class: "choice" },
      h("input", { type: "checkbox", name, value: key, checked: values.includes(key) }),
      h("span", { text: label }))));
}

export const checked = (root, name) =>
  [...root.querySelectorAll(`input[name="${CSS.escape(name)}"]:checked`)].map((i) => i.value);

export function fullName(person) {
  return [person.given_name, person.father_name, person.family_name].filter(Boolean).join(" ");
}

// A name on screen: isolated, so an Arabic name in an English line (or the reverse)
// does not reorder what is around it.
export const name = (person) => h("bdi", { class: "person-name", text: fullName(person) });

// A big number with what it counts under it.
export const figure = (value, label, extra = "") =>
  h("div", { class: `figure ${extra}`.trim() }, h("strong", { text: String(value) }), h("span", { text: label }));

// The confirmation after a record is written to the phone: it names the record and
// shows its state, which follows the outbox (pending → sending → accepted …).
export function saved(ctx, event, text) {
  const element = h("div", { class: "saved", role: "status", "data-event": event.id },
    h("span", { text }), ctx.badge(event.id));
  const stop = ctx.onChange(() => {
    if (!element.isConnected) return stop();
    return element.lastChild.replaceWith(ctx.badge(event.id));
  });
  return element;
}

// The facts this phone recorded of a type, the rejected ones aside (they are not
// facts until fixed): the screens lay them over the pulled data.
export function facts(ctx, type) {
  return ctx.events({ type }).filter((event) => event.state !== "rejected");
}

// This phone's rejected records of these types, each with its reason and a Fix button.
export function rejected(ctx, types, describe) {
  const found = ctx.events((event) => types.includes(event.type) && event.state === "rejected");
  if (!found.length) return null;
  return h("section", { class: "rejected" },
    h("h2", { text: ctx.t("fix.title") }),
    h("ul", { class: "records" }, found.map((event) => h("li", { class: "record" },
      h("div", {}, h("span", { text: describe(event) }), ctx.badge(event.id)),
      h("p", { class: "reason", dir: "auto", text: event.reason || "" }),
      h("button", { type: "button", class: "primary", onclick: () => ctx.fix(event.id),
        text: ctx.t("fix.button") })))));
}

// The event being fixed (`?fix=<id>`), or null.
export function fixing(ctx, params, types) {
  if (!params.fix) return null;
  return ctx.events((event) => event.id === params.fix && types.includes(event.type))[0] || null;
}

// Records an event, turning a refusal (locked, no space) into a message; returns the
// event or null.
export async function record(ctx, type, payload, options, problem) {
  try {
    return await ctx.record(type, payload, options);
  } catch (error) {
    problem.textContent = error.message;
    problem.hidden = false;
    return null;
  }
}

export function back(ctx, hash = "/home") {
  return h("button", { type: "button", class: "back", onclick: () => ctx.go(hash),
    text: ctx.t("nav.back") });
}

export const place = (ctx, id) => ctx.data.locations().find((l) => l.location_id === id)?.name || id;

// Draws into `container` now and again whenever the data or a record's state changes;
// returns the unsubscribe for the screen's cleanup.
export function live(ctx, container, draw) {
  const redraw = () => fill(container, draw());
  redraw();
  return ctx.onChange(redraw);
}

const SVG = "http://www.w3.org/2000/svg";

// A QR code of `text` as an SVG element (black squares on white, quiet zone included).
export function qr(text) {
  const code = encode(text, { ecc: "M", border: 4 });
  const svg = document.createElementNS(SVG, "svg");
  svg.setAttribute("viewBox", `0 0 ${code.size} ${code.size}`);
  svg.setAttribute("class", "qr");
  svg.setAttribute("role", "img");
  svg.setAttribute("shape-rendering", "crispEdges");
  const path = code.data.flatMap((row, y) => row.map((dark, x) => (dark ? `M${x},${y}h1v1h-1z` : "")));
  const background = document.createElementNS(SVG, "rect");
  background.setAttribute("width", code.size);
  background.setAttribute("height", code.size);
  background.setAttribute("fill", "#fff");
  const squares = document.createElementNS(SVG, "path");
  squares.setAttribute("d", path.join(""));
  squares.setAttribute("fill", "#000");
  svg.append(background, squares);
  return svg;
}

// A household's token as the family is shown it: big, with its check character, and
// as the QR code a boarding phone scans.
export function tokenCard(ctx, token) {
  const typed = withCheck(token);
  const code = qr(payload(KINDS.household, token));
  code.setAttribute("aria-label", ctx.t("token.qr", { token: typed }));
  return h("div", { class: "token-card", "data-token": token },
    h("p", { class: "token-label", text: ctx.t("token.label") }),
    h("p", { class: "token-text", dir: "ltr", text: typed }), code);
}

// Now, in ISO 8601 with the phone's offset (as the ledger keeps a device's clock).
export function now(date = new Date()) {
  const offset = -date.getTimezoneOffset();
  const pad = (n) => String(Math.floor(Math.abs(n))).padStart(2, "0");
  const local = new Date(date.getTime() + offset * 60000).toISOString().slice(0, 19);
  return `${local}${offset >= 0 ? "+" : "-"}${pad(offset / 60)}:${pad(offset % 60)}`;
}
