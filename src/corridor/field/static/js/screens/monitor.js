// The checkpoint monitor: pick the vehicle (scan its card or choose it from those
// expected here), count the people aboard beside the manifest's count, record a
// removal, hold (or release) the convoy, report an incident. The manifest's count is
// who the last pull says is aboard, less those removed here from this phone.

import { vehicleScanner } from "../scan.js";
import { localTime } from "../ctx.js";
import { search } from "../names.js";
import {
  add, button, checked, choices, facts, field, figure, fill, fixing, fixNote, fullName, h,
  heading, homeHeading, live, name, record, rejected, saved, showErrors, submitButton,
} from "./ui.js";

const REMOVAL_REASONS = ["detained", "medical", "other"];
const INCIDENT_TYPES = ["shooting", "blockage", "detention", "accident", "medical", "weather",
  "other"];
const MAX_COUNT = 100000;
// What a monitor records (the refused ones are listed on the home screen to fix).
const RECORDS = ["CheckpointPassed", "PersonRemoved", "ConvoyHeld", "ConvoyReleased",
  "IncidentReported"];

export function render(root, ctx, params) {
  const view = { count, remove, hold, incident }[params.sub] || home;
  return view(root, ctx, params);
}

// --- what this phone knows ------------------------------------------------------------------

function removedHere(ctx) {
  return new Set(facts(ctx, "PersonRemoved").map((e) => e.payload.person_id));
}

// An expected vehicle: {vehicle, convoy, aboard: [person ids], counted: headcount here or null}.
function vehicleView(ctx, entry) {
  const post = ctx.me.post_id;
  const removed = removedHere(ctx);
  const id = entry.vehicle.vehicle_id;
  const mine = facts(ctx, "CheckpointPassed").filter((e) => e.payload.vehicle_id === id
    && e.payload.checkpoint_id === post);
  const theirs = entry.passages.filter((p) => p.checkpoint_id === post);
  const counted = mine.length ? mine[mine.length - 1].payload.headcount
    : theirs.length ? theirs[theirs.length - 1].headcount : null;
  return { ...entry, id, aboard: entry.person_ids.filter((p) => !removed.has(p)), counted,
    countEvent: mine[mine.length - 1] || null };
}

const expected = (ctx) => ctx.data.vehicles().map((entry) => vehicleView(ctx, entry));

// `seen`: the vehicle as the open screen first drew it, for when a pull has since dropped
// it from the scope (its convoy arrived): the screen goes on from what it last saw.
function findVehicle(ctx, id, seen = null) {
  const entry = ctx.data.vehicle(id) || seen;
  return entry ? vehicleView(ctx, entry) : null;
}


function label(ctx, v) {
  return h("span", { class: "row-main" },
    h("bdi", { class: "vehicle-label", text: v.vehicle.label }),
    v.convoy ? h("span", { class: "muted" }, h("bdi", { text: v.convoy.label }),
      ` · ${convoyState(ctx, v)}`) : null);
}

// The convoy's state as the server last said, unless this phone holds or releases it
// and has not sent that yet.
function convoyState(ctx, v) {
  if (held(ctx, v)) return ctx.t("convoy.held");
  return ctx.t(v.convoy.state === "held" ? "mon.released" : `convoy.${v.convoy.state}`);
}

function missingVehicle(root, ctx) {
  add(root, heading(ctx, ctx.t("mon.vehicle")),
    h("p", { class: "empty", text: ctx.t("mon.no_vehicle") }));
}

// --- home -----------------------------------------------------------------------------------

function home(root, ctx) {
  const problem = h("p", { class: "error-box", role: "alert", hidden: true });
  const cards = vehicleScanner(ctx, { label: ctx.t("mon.scan_vehicle"), problem,
    unknownKey: "mon.not_expected", open: (id) => ctx.go(at("count", { id })) });
  const list = h("div", { class: "live" });
  add(root, homeHeading(ctx, ctx.t("mon.title"), "mon.post"),
  cards.element, problem, list);
  const unsubscribe = live(ctx, list, () => [
    rejected(ctx, RECORDS, (e) => ctx.t(`mon.record.${e.type}`)),
    vehiclesList(ctx),
    h("div", { class: "buttons" },
      button(ctx.t("mon.incident"), () => ctx.go("/monitor/incident")))]);
  return () => {
    unsubscribe();
    cards.stop();
  };
}

function vehiclesList(ctx) {
  const all = expected(ctx);
  return h("section", {},
    h("h2", {}, ctx.t("mon.expected"), h("span", { class: "count", text: String(all.length) })),
    all.length ? h("ul", { class: "rows" }, all.map((v) => h("li", {},
      h("button", { type: "button", class: "row", "data-vehicle": v.id,
        onclick: () => ctx.go(at("count", v)) },
      label(ctx, v),
      h("span", { class: "row-side" },
        h("span", { class: "seats", text: ctx.t("mon.aboard", { n: v.aboard.length }) }),
        v.counted === null ? h("span", { class: "chip", text: ctx.t("mon.not_counted") })
          : h("span", { class: v.counted === v.aboard.length ? "chip ok" : "chip warn",
            text: ctx.t("mon.counted", { n: v.counted }) }))))))
      : h("p", { class: "empty", text: ctx.t("mon.none_expected") }));
}

// --- the headcount ------------------------------------------------------------------------------

const at = (sub, v) => `/monitor/${sub}?vehicle=${encodeURIComponent(v.id)}`;

function vehicleActions(ctx, v) {
  const to = (sub) => () => ctx.go(at(sub, v));
  return h("div", { class: "buttons" },
    button(ctx.t("mon.remove"), to("remove")),
    button(ctx.t(held(ctx, v) ? "mon.release" : "mon.hold"), to("hold")),
    button(ctx.t("mon.incident"), to("incident")));
}

function count(root, ctx, params) {
  const fixed = fixing(ctx, params, ["CheckpointPassed"]);
  const v = findVehicle(ctx, fixed?.payload.vehicle_id || params.vehicle);
  if (!v) return missingVehicle(root, ctx);
  const problem = h("p", { class: "error-box", role: "alert", hidden: true });
  const summary = h("p", { class: "error-box", role: "alert", hidden: true });
  const input = h("input", { type: "text", inputmode: "numeric", class: "count-input", dir: "ltr",
    id: "f-headcount", name: "headcount",
    autocomplete: "off", value: fixed ? String(fixed.payload.headcount) : "" });
  const difference = h("p", { class: "difference", "aria-live": "polite" });
  const manifest = h("div", { class: "figures" });
  const aboard = () => findVehicle(ctx, v.id, v).aboard.length;
  const typed = () => (/^\d+$/u.test(input.value.trim()) ? Number(input.value.trim()) : null);
  const compare = () => {
    const n = typed();
    fill(manifest, figure(aboard(), ctx.t("mon.manifest")),
      figure(n === null ? "—" : n, ctx.t("mon.headcount"),
        n !== null && n !== aboard() ? "warn" : ""));
    difference.textContent = n === null ? "" : n === aboard() ? ctx.t("mon.matches")
      : ctx.t(n < aboard() ? "mon.fewer" : "mon.more", { n: Math.abs(aboard() - n) });
    difference.className = n !== null && n !== aboard() ? "difference warn" : "difference";
  };
  input.addEventListener("input", compare);
  const step = (by) => () => {
    input.value = String(Math.max(0, (typed() ?? aboard()) + by));
    compare();
  };
  const submit = submitButton(ctx, fixed, "mon.record_count");
  const form = h("form", { class: "screen-form", novalidate: true, onsubmit: async (event) => {
    event.preventDefault();
    const n = typed();
    const errors = n === null || n > MAX_COUNT
      ? { headcount: ctx.t("err.headcount", { max: MAX_COUNT }) } : {};
    if (!showErrors(form, errors, summary)) return;
    submit.disabled = true;
    const done = await record(ctx, "CheckpointPassed",
      { vehicle_id: v.id, checkpoint_id: ctx.me.post_id, headcount: n },
      fixed, problem);
    submit.disabled = false;
    if (!done) return;
    fill(root, heading(ctx, h("bdi", { text: v.vehicle.label })),
      saved(ctx, done, ctx.t("mon.count_saved", { n })), manifest, difference,
      vehicleActions(ctx, v),
      h("div", { class: "buttons" },
        button(ctx.t("mon.next_vehicle"), () => ctx.go("/home"), "primary big")));
  } },
  manifest,
  h("div", { class: "field", "data-field": "headcount" },
    h("label", { for: "f-headcount", text: ctx.t("mon.how_many") }),
    h("div", { class: "stepper" },
      button("−", step(-1), "step", { "aria-label": ctx.t("mon.minus") }),
      input,
      button("+", step(1), "step", { "aria-label": ctx.t("mon.plus") })),
    h("p", { class: "field-error", hidden: true })),
  difference, summary, problem, submit);
  compare();
  add(root, heading(ctx, [h("bdi", { text: v.vehicle.label }),
    v.convoy ? h("span", { class: "muted" }, " · ", h("bdi", { text: v.convoy.label })) : null]),
  fixed ? fixNote(ctx, fixed) : null,
  form, vehicleActions(ctx, v));
  return null;
}

// --- a removal --------------------------------------------------------------------------------

function remove(root, ctx, params) {
  const fixed = fixing(ctx, params, ["PersonRemoved"]);
  const v = findVehicle(ctx, fixed?.payload.vehicle_id || params.vehicle);
  if (!v) return missingVehicle(root, ctx);
  let chosen = fixed?.payload.person_id || null;
  const people = () => v.aboard.concat(chosen && !v.aboard.includes(chosen) ? [chosen] : [])
    .map((id) => ctx.data.person(id)).filter(Boolean);
  const problem = h("p", { class: "error-box", role: "alert", hidden: true });
  const summary = h("p", { class: "error-box", role: "alert", hidden: true });
  const query = h("input", { type: "search", dir: "auto", autocomplete: "off",
    placeholder: ctx.t("search.placeholder") });
  const results = h("div", { class: "picks", role: "radiogroup" });
  const drawResults = () => {
    const found = query.value.trim()
      ? search(people(), query.value).map((r) => r.person) : people();
    fill(results, ...found.slice(0, 30).map((p) => h("label", { class: "pick" },
      h("input", { type: "radio", name: "person_id", value: p.person_id,
        checked: p.person_id === chosen,
        onchange: () => { chosen = p.person_id; } }),
      name(p), p.birth_year ? h("span", { class: "muted", text: String(p.birth_year) }) : null)),
    found.length ? "" : h("p", { class: "empty", text: ctx.t("search.none") }));
  };
  query.addEventListener("input", drawResults);
  const removedBy = h("input", { type: "text", dir: "auto", autocomplete: "off", maxlength: 2000,
    value: fixed?.payload.removed_by || "" });
  const note = h("textarea", { rows: 2, dir: "auto", maxlength: 2000 });
  note.value = fixed?.payload.note || "";
  const submit = submitButton(ctx, fixed, "mon.record_removal");
  const form = h("form", { class: "screen-form", novalidate: true, onsubmit: async (event) => {
    event.preventDefault();
    const reason = checked(form, "reason")[0];
    const errors = {};
    if (!chosen) errors.person_id = ctx.t("err.pick_person");
    if (!reason) errors.reason = ctx.t("err.pick_reason");
    if (!showErrors(form, errors, summary)) return;
    submit.disabled = true;
    const payload = { person_id: chosen, checkpoint_id: ctx.me.post_id, vehicle_id: v.id, reason,
      removed_by: removedBy.value.trim(), note: note.value.trim() };
    const done = await record(ctx, "PersonRemoved", payload, fixed, problem);
    submit.disabled = false;
    if (!done) return;
    const who = ctx.data.person(chosen);
    fill(root, heading(ctx, ctx.t("mon.removed"), at("count", v)),
    saved(ctx, done, ctx.t("mon.removal_saved", { name: who ? fullName(who) : chosen })),
    figure(findVehicle(ctx, v.id, v).aboard.length, ctx.t("mon.manifest")),
    h("div", { class: "buttons" },
      button(ctx.t("mon.back_to_count"), () => ctx.go(at("count", v)), "primary big")));
  } },
  field(ctx, { name: "person_id", label: ctx.t("mon.who"), input: query }), results,
  h("div", { class: "field", "data-field": "reason" },
    h("span", { class: "label", text: ctx.t("mon.reason") }),
    choices("reason", REMOVAL_REASONS.map((r) => [r, ctx.t(`removal.${r}`)]),
      fixed?.payload.reason, ctx.t("mon.reason")),
    h("p", { class: "field-error", hidden: true })),
  field(ctx, { name: "removed_by", label: ctx.t("mon.removed_by"), input: removedBy, optional: true,
    hint: ctx.t("mon.removed_by_hint") }),
  field(ctx, { name: "note", label: ctx.t("mon.note"), input: note, optional: true }),
  summary, problem, submit);
  query.id = "f-person_id";
  drawResults();
  add(root, heading(ctx, [ctx.t("mon.remove"), " · ", h("bdi", { text: v.vehicle.label })],
    at("count", v)),
  fixed ? fixNote(ctx, fixed) : null,
  form);
  return null;
}

// --- hold and release ---------------------------------------------------------------------------

// Whether the convoy is held: this phone's holds and releases not sent yet, else the
// pull's state (once sent, the server's word is the last: a coordinator may have
// released the convoy since).
function held(ctx, v) {
  if (!v.convoy) return false;
  const mine = ctx.events((e) => ["ConvoyHeld", "ConvoyReleased"].includes(e.type)
    && e.payload.convoy_id === v.convoy.convoy_id && e.state === "pending");
  return mine.length ? mine[mine.length - 1].type === "ConvoyHeld" : v.convoy.state === "held";
}

function hold(root, ctx, params) {
  const fixed = fixing(ctx, params, ["ConvoyHeld", "ConvoyReleased"]);
  const byConvoy = fixed
    && ctx.data.vehicles().find((e) => e.convoy?.convoy_id === fixed.payload.convoy_id);
  const v = findVehicle(ctx, byConvoy?.vehicle.vehicle_id || params.vehicle);
  if (!v?.convoy) return missingVehicle(root, ctx);
  const releasing = fixed ? fixed.type === "ConvoyReleased" : held(ctx, v);
  const type = releasing ? "ConvoyReleased" : "ConvoyHeld";
  const problem = h("p", { class: "error-box", role: "alert", hidden: true });
  const summary = h("p", { class: "error-box", role: "alert", hidden: true });
  const text = h("textarea", { rows: 3, dir: "auto", maxlength: 2000 });
  text.value = fixed ? (fixed.payload.reason ?? fixed.payload.note ?? "") : "";
  const submit = h("button", { type: "submit", class: releasing ? "primary big" : "danger big",
    text: ctx.t(fixed ? "fix.save" : releasing ? "mon.release" : "mon.hold") });
  const form = h("form", { class: "screen-form", novalidate: true, onsubmit: async (event) => {
    event.preventDefault();
    const value = text.value.trim();
    const errors = !releasing && !value ? { reason: ctx.t("err.hold_reason") } : {};
    if (!showErrors(form, errors, summary)) return;
    submit.disabled = true;
    const payload = releasing ? { convoy_id: v.convoy.convoy_id, note: value }
      : { convoy_id: v.convoy.convoy_id, location_id: ctx.me.post_id, reason: value };
    const done = await record(ctx, type, payload, fixed, problem);
    submit.disabled = false;
    if (!done) return;
    fill(root, heading(ctx, h("bdi", { text: v.convoy.label })),
      saved(ctx, done, ctx.t(releasing ? "mon.released" : "mon.held")),
      h("div", { class: "buttons" },
        button(ctx.t("mon.back_to_count"), () => ctx.go(at("count", v)), "primary big")));
  } },
  h("p", { class: "lead", text: ctx.t(releasing ? "mon.release_lead" : "mon.hold_lead") }),
  field(ctx, { name: "reason", label: ctx.t(releasing ? "mon.note" : "mon.hold_reason"),
    input: text, optional: releasing }),
  summary, problem, submit);
  add(root, heading(ctx, h("bdi", { text: v.convoy.label }), at("count", v)),
  fixed ? fixNote(ctx, fixed) : null,
  form);
  return null;
}

// --- an incident ------------------------------------------------------------------------------

function incident(root, ctx, params) {
  const fixed = fixing(ctx, params, ["IncidentReported"]);
  const before = fixed?.payload || {};
  const v = findVehicle(ctx, before.vehicle_id || params.vehicle);
  const problem = h("p", { class: "error-box", role: "alert", hidden: true });
  const summary = h("p", { class: "error-box", role: "alert", hidden: true });
  const number = (value) => h("input", { type: "text", inputmode: "numeric", dir: "ltr",
    class: "small-number", autocomplete: "off", value: String(value ?? 0) });
  const killed = number(before.killed);
  const injured = number(before.injured);
  const reporter = h("input", { type: "text", dir: "auto", autocomplete: "off", maxlength: 120,
    value: before.reported_by || ctx.me.username });
  const description = h("textarea", { rows: 3, dir: "auto", maxlength: 2000 });
  description.value = before.description || "";
  const submit = submitButton(ctx, fixed, "mon.record_incident");
  const form = h("form", { class: "screen-form", novalidate: true, onsubmit: async (event) => {
    event.preventDefault();
    const type = checked(form, "type")[0];
    const errors = {};
    if (!type) errors.type = ctx.t("err.pick_type");
    for (const [key, input] of [["killed", killed], ["injured", injured]]) {
      if (!/^\d+$/u.test(input.value.trim()) || Number(input.value) > MAX_COUNT) {
        errors[key] = ctx.t("err.count", { field: ctx.t(`mon.${key}`), max: MAX_COUNT });
      }
    }
    const who = reporter.value.trim().normalize("NFC");
    if (!who || who.length > 120) errors.reported_by = ctx.t("err.reporter");
    if (!showErrors(form, errors, summary)) return;
    submit.disabled = true;
    const payload = { incident_id: before.incident_id || crypto.randomUUID(), type,
      occurred_at: before.occurred_at || localTime(), location_id: ctx.me.post_id,
      killed: Number(killed.value), injured: Number(injured.value), reported_by: who,
      description: description.value.trim() };
    if (v) payload.vehicle_id = v.id;
    if (v?.convoy) payload.convoy_id = v.convoy.convoy_id;
    const done = await record(ctx, "IncidentReported", payload, fixed, problem);
    submit.disabled = false;
    if (!done) return;
    fill(root, heading(ctx, ctx.t("mon.incident")),
      saved(ctx, done, ctx.t("mon.incident_saved", { type: ctx.t(`incident.${type}`) })),
      h("div", { class: "buttons" },
        button(ctx.t("nav.home"), () => ctx.go("/home"), "primary big")));
  } },
  v ? h("p", { class: "lead" }, h("bdi", { text: v.vehicle.label }),
    v.convoy ? h("span", {}, " · ", h("bdi", { text: v.convoy.label })) : null) : null,
  h("div", { class: "field", "data-field": "type" },
    h("span", { class: "label", text: ctx.t("mon.incident_type") }),
    choices("type", INCIDENT_TYPES.map((t) => [t, ctx.t(`incident.${t}`)]), before.type,
      ctx.t("mon.incident_type")),
    h("p", { class: "field-error", hidden: true })),
  h("div", { class: "pair" },
    field(ctx, { name: "killed", label: ctx.t("mon.killed"), input: killed }),
    field(ctx, { name: "injured", label: ctx.t("mon.injured"), input: injured })),
  field(ctx, { name: "reported_by", label: ctx.t("mon.reported_by"), input: reporter }),
  field(ctx, { name: "description", label: ctx.t("mon.description"), input: description,
    optional: true }),
  summary, problem, submit);
  add(root, heading(ctx, ctx.t("mon.incident")), fixed ? fixNote(ctx, fixed) : null, form);
  return null;
}
