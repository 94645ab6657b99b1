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

const present = (children) => children.flat()
  .filter((c) => c !== null && c !== undefined && c !== false);

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
    options.map(([key, label]) => h("option", { value: key, selected: key === value,
      text: label })));
}

// Radio buttons as big tappable choices; `name` groups them, `label` names the group.
export function choices(name, options, value, label) {
  return h("div", { class: "choices", role: "radiogroup", "aria-label": label },
    options.map(([key, text]) => h("label", { class: "choice" },
      h("input", { type: "radio", name, value: key, checked: key === value }),
      h("span", { text }))));
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
  h("div", { class: `figure ${extra}`.trim() }, h("strong", { dir: "ltr", text: String(value) }),
    h("span", { text: label }));

// The confirmation after a record is written to the phone: it names the record and
// shows its state, which follows the outbox (pending → sending → accepted …).
export function saved(ctx, event, text) {
  return h("div", { class: "saved", role: "status", "data-event": event.id },
    h("span", { text }), badge(ctx, event.id));
}

// A record's state badge that follows the record (pending → sending → accepted …) while
// it is on screen.
export function badge(ctx, id) {
  let shown = ctx.badge(id);
  let seen = false;
  const stop = ctx.onChange(() => {
    if (!shown.isConnected) {
      if (seen) stop();
      return;
    }
    seen = true;
    const next = ctx.badge(id);
    shown.replaceWith(next);
    shown = next;
  });
  return shown;
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

// Above a form opened to fix a record: why the server refused it.
export function fixNote(ctx, event) {
  return h("p", { class: "fix-note", role: "note", dir: "auto",
    text: ctx.t("fix.reason", { reason: event.reason || "" }) });
}

// Records an event (the fix of `fixed`, if given), turning a refusal (locked, no
// space) into a message in `problem`; returns the event or null.
export async function record(ctx, type, payload, fixed, problem) {
  try {
    return await ctx.record(type, payload, fixed ? { replaces: fixed.id } : undefined);
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

// A role's home screen header: what it is, and the post.
export function homeHeading(ctx, title, postKey) {
  const post = ctx.me.post_name || ctx.me.post_id || "—";
  return h("header", { class: "screen-head" }, h("h1", { text: title }),
    h("p", { class: "post", text: ctx.t(postKey, { post }) }));
}

// A screen's header: "back" (to `hash`), then its title (text or elements).
export function heading(ctx, title, hash = "/home") {
  return h("header", { class: "screen-head" }, back(ctx, hash), h("h1", {}, title));
}

// A full-width button that runs `action`.
export function button(text, action, style = "secondary big", attrs = {}) {
  return h("button", { type: "button", class: style, text, onclick: action, ...attrs });
}

// A form's submit button: "save the fix" when it fixes a refused record.
export function submitButton(ctx, fixed, key) {
  return h("button", { type: "submit", class: "primary big",
    text: ctx.t(fixed ? "fix.save" : key) });
}

// Draws into `container` now and again whenever the data or a record's state changes;
// returns the unsubscribe for the screen's cleanup.
export function live(ctx, container, draw) {
  const redraw = () => fill(container, draw());
  redraw();
  return ctx.onChange(redraw);
}

const SVG = "http://www.w3.org/2000/svg";

// A QR code of `text` as an SVG element (black squares on white, quiet zone included).
function qr(text) {
  const code = encode(text, { ecc: "M", border: 4 });
  const svg = document.createElementNS(SVG, "svg");
  svg.setAttribute("viewBox", `0 0 ${code.size} ${code.size}`);
  svg.setAttribute("class", "qr");
  svg.setAttribute("role", "img");
  svg.setAttribute("shape-rendering", "crispEdges");
  const path = code.data
    .flatMap((row, y) => row.map((dark, x) => (dark ? `M${x},${y}h1v1h-1z` : "")));
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
