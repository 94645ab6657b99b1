// Reception: record a vehicle's arrival, check people in by scanning their household's
// token card or a wristband, or by finding them on the vehicle's manifest by name in
// either script (names.js, offline), and see who from the vehicle is still missing.

import { KINDS, withCheck } from "../codes.js";
import { scanner, vehicleScanner } from "../scan.js";
import { search } from "../names.js";
import {
  add, button, facts, figure, fill, fixing, fixNote, fullName, h, heading, homeHeading, live,
  name, record, rejected, saved,
} from "./ui.js";

// What reception records (the refused ones are listed on the home screen to fix).
const RECORDS = ["VehicleArrived", "PersonCheckedIn"];

export function render(root, ctx, params) {
  const view = { arrival, checkin }[params.sub] || home;
  return view(root, ctx, params);
}

// --- what this phone knows ------------------------------------------------------------------

// Who was checked in from which vehicle on this phone, while the manifest listed them:
// once synced, the next pull no longer lists them on the vehicle.
const checkedFrom = new Map();

function checkedIn(ctx) {
  return new Map(facts(ctx, "PersonCheckedIn").map((e) => [e.payload.person_id, e]));
}

// A vehicle heading here: {id, vehicle, convoy, arrived, arrival, people, missing, checked}.
function vehicleView(ctx, entry) {
  const done = checkedIn(ctx);
  const id = entry.vehicle.vehicle_id;
  const people = entry.person_ids.map((p) => ctx.data.person(p)).filter(Boolean);
  const arrival = facts(ctx, "VehicleArrived").find((e) => e.payload.vehicle_id === id) || null;
  const checked = [...done.keys()]
    .filter((p) => entry.person_ids.includes(p) || checkedFrom.get(p) === id);
  return { ...entry, id, people, checked, arrival,
    arrived: Boolean(arrival) || entry.vehicle.arrived_at_id === ctx.me.post_id,
    missing: people.filter((p) => !done.has(p.person_id)) };
}

// `seen`: the vehicle as the open screen first drew it, for when a pull has since dropped
// it from the scope (arrived, everyone checked in): the screen goes on from what it saw.
function findVehicle(ctx, id, seen = null) {
  const entry = (id && ctx.data.vehicle(id)) || seen;
  return entry ? vehicleView(ctx, entry) : null;
}

const checkinOf = (id) => `/reception/checkin?vehicle=${encodeURIComponent(id)}`;
const sameCode = (a, b) => a && b && a.toUpperCase() === b.toUpperCase();

async function checkIn(ctx, personId, vehicleId, problem, fixed = null) {
  const payload = { person_id: personId, location_id: ctx.me.post_id };
  const done = await record(ctx, "PersonCheckedIn", payload, fixed, problem);
  if (done && vehicleId) checkedFrom.set(personId, vehicleId);
  return done;
}

// One person with a big "check in" button, or their record's state once checked in
// (`checked`: this phone's check-ins, read once for a whole list).
function personRow(ctx, person, vehicleId, problem, checked = checkedIn(ctx)) {
  const done = checked.get(person.person_id);
  const checkInButton = button(ctx.t("rec.check_in"), async () => {
    checkInButton.disabled = true;
    if (!(await checkIn(ctx, person.person_id, vehicleId, problem))) checkInButton.disabled = false;
  }, "primary", { "data-checkin": person.person_id });
  const about = [person.birth_year, person.token && withCheck(person.token)].filter(Boolean);
  return h("li", { class: "record", "data-person": person.person_id },
    h("div", {}, name(person), h("span", { class: "muted", dir: "ltr", text: about.join(" · ") })),
    done ? ctx.badge(done.id) : checkInButton);
}

// A search by name, in either script, among `people()`; each hit drawn by `row`.
// Returns {element, redraw}.
function nameSearch(ctx, label, people, row) {
  const query = h("input", { type: "search", id: "f-search", dir: "auto", autocomplete: "off",
    placeholder: ctx.t("search.placeholder") });
  const results = h("ul", { class: "records results" });
  const redraw = () => {
    const text = query.value.trim();
    if (!text) return fill(results);
    const hits = search(people(), text, 20);
    const checked = checkedIn(ctx);
    return fill(results, hits.length ? hits.map((hit) => row(hit.person, checked))
      : h("li", { class: "empty", text: ctx.t("search.none") }));
  };
  query.addEventListener("input", redraw);
  const element = h("section", { class: "search" },
    h("label", { for: "f-search", class: "label", text: label }), query, results);
  return { element, redraw };
}

function missingVehicle(root, ctx) {
  add(root, heading(ctx, ctx.t("rec.vehicle")),
    h("p", { class: "empty", text: ctx.t("rec.no_vehicle") }));
  return null;
}

// --- home -----------------------------------------------------------------------------------

function home(root, ctx) {
  const problem = h("p", { class: "error-box", role: "alert", hidden: true });
  const cards = vehicleScanner(ctx, { label: ctx.t("rec.scan_vehicle"), problem,
    unknownKey: "rec.not_expected", open: (id) => ctx.go(checkinOf(id)) });
  const list = h("div", { class: "live" });
  // Someone who does not know their vehicle: everyone coming here, searched by name
  // (the search reads `coming` first, then draws each hit with its vehicle).
  let vehicleOf = new Map();
  const coming = () => {
    vehicleOf = new Map(ctx.data.vehicles()
      .flatMap((entry) => entry.person_ids.map((p) => [p, entry.vehicle])));
    return ctx.data.persons().filter((p) => vehicleOf.has(p.person_id));
  };
  const finder = nameSearch(ctx, ctx.t("rec.search_all"), coming, (person, checked) => {
    const { vehicle_id: id, label } = vehicleOf.get(person.person_id);
    const row = personRow(ctx, person, id, problem, checked);
    row.firstChild.append(h("bdi", { class: "chip", text: label }));
    return row;
  });
  add(root, homeHeading(ctx, ctx.t("rec.title"), "rec.post"), cards.element, problem, list,
    finder.element);
  const stops = [ctx.onChange(finder.redraw), live(ctx, list, () => [
    rejected(ctx, RECORDS, (e) => ctx.t(`rec.record.${e.type}`)), vehiclesList(ctx)])];
  return () => {
    stops.forEach((stop) => stop());
    cards.stop();
  };
}

function vehiclesList(ctx) {
  const all = ctx.data.vehicles().map((entry) => vehicleView(ctx, entry));
  const row = (v) => h("li", {}, h("button", { type: "button", class: "row", "data-vehicle": v.id,
    onclick: () => ctx.go(checkinOf(v.id)) },
  h("span", { class: "row-main" }, h("bdi", { class: "vehicle-label", text: v.vehicle.label }),
    v.convoy ? h("span", { class: "muted" }, h("bdi", { text: v.convoy.label })) : null),
  h("span", { class: "row-side" },
    h("span", { class: v.arrived ? "chip ok" : "chip", text: ctx.t(v.arrived ? "rec.arrived"
      : v.convoy ? `convoy.${v.convoy.state}` : "rec.on_the_way") }),
    h("span", { class: "seats", text: ctx.t("rec.to_check_in", { n: v.missing.length }) }))));
  return h("section", {},
    h("h2", {}, ctx.t("rec.heading"), h("span", { class: "count", text: String(all.length) })),
    all.length ? h("ul", { class: "rows" }, all.map(row))
      : h("p", { class: "empty", text: ctx.t("rec.none_heading") }));
}

// --- arrival ---------------------------------------------------------------------------------

function arrivalButton(ctx, v, problem, fixed) {
  const arrive = button(ctx.t(fixed ? "fix.save" : "rec.record_arrival"), async () => {
    arrive.disabled = true;
    const payload = { vehicle_id: v.id, location_id: ctx.me.post_id };
    const done = await record(ctx, "VehicleArrived", payload, fixed, problem);
    if (!done) arrive.disabled = false;
    else if (fixed) ctx.go(checkinOf(v.id));
  }, "primary big", { "data-arrival": v.id });
  return arrive;
}

function arrival(root, ctx, params) {
  const fixed = fixing(ctx, params, ["VehicleArrived"]);
  const v = findVehicle(ctx, fixed?.payload.vehicle_id || params.vehicle);
  if (!v) return missingVehicle(root, ctx);
  const problem = h("p", { class: "error-box", role: "alert", hidden: true });
  add(root, heading(ctx, h("bdi", { text: v.vehicle.label })), fixed ? fixNote(ctx, fixed) : null,
    arrivalButton(ctx, v, problem, fixed), problem);
  return null;
}

// --- check-in ----------------------------------------------------------------------------------

function checkin(root, ctx, params) {
  const fixed = fixing(ctx, params, ["PersonCheckedIn"]);
  if (fixed) return fixCheckin(root, ctx, fixed);
  const v = findVehicle(ctx, params.vehicle);
  if (!v) return missingVehicle(root, ctx);
  const problem = h("p", { class: "error-box", role: "alert", hidden: true });
  const current = () => findVehicle(ctx, v.id, v);
  const row = (person, checked) => personRow(ctx, person, v.id, problem, checked);

  // The people a scanned token card (its household) or wristband (its wearer) names.
  let scanned = [];
  // One "check in all" at a time: each check-in redraws the button under the finger, and
  // a second tap must not record anyone twice.
  let checkingAll = false;
  const found = h("section", { class: "found" });
  const drawFound = () => {
    const checked = checkedIn(ctx);
    const waiting = scanned.filter((p) => !checked.has(p.person_id));
    const all = button(ctx.t("rec.check_in_all", { n: waiting.length }), async () => {
      if (checkingAll) return;
      checkingAll = true;
      try {
        for (const p of waiting) {
          if (checkedIn(ctx).has(p.person_id)) continue;
          if (!(await checkIn(ctx, p.person_id, v.id, problem))) break;
        }
      } finally {
        checkingAll = false;
      }
    }, "primary big");
    fill(found, scanned.length ? [h("h2", { text: ctx.t("rec.scanned", { n: scanned.length }) }),
      h("ul", { class: "records" }, scanned.map((p) => row(p, checked))),
      waiting.length > 1 ? all : null] : null);
  };
  const cards = scanner(ctx, { kind: KINDS.household, label: ctx.t("rec.scan_card"),
    onCode: (code) => {
      const { people } = current();
      scanned = code.kind === KINDS.person ? people.filter((p) => p.person_id === code.key)
        : people.filter((p) => code.kind === KINDS.household && sameCode(p.token, code.key));
      problem.textContent = ctx.t(code.kind === KINDS.vehicle ? "rec.scan_a_person"
        : "rec.not_on_vehicle");
      problem.hidden = Boolean(scanned.length);
      drawFound();
    } });
  const finder = nameSearch(ctx, ctx.t("rec.search"), () => current().people, row);

  const head = h("div", { class: "live" });
  const drawHead = () => {
    const now = current();
    return [h("div", { class: "figures" },
      figure(now.missing.length, ctx.t("rec.missing"), now.missing.length ? "warn" : "ok"),
      figure(now.checked.length, ctx.t("rec.checked_in"))),
    now.arrived ? h("p", { class: "arrived" },
      h("span", { class: "chip ok", text: ctx.t("rec.arrived") }),
      now.arrival ? ctx.badge(now.arrival.id) : null) : arrivalButton(ctx, now, problem, null)];
  };
  const missing = h("div", { class: "live" });
  const drawMissing = () => {
    const now = current();
    const checked = checkedIn(ctx);
    return now.missing.length ? h("details", { class: "missing" },
      h("summary", { text: ctx.t("rec.who_missing", { n: now.missing.length }) }),
      h("ul", { class: "records" }, now.missing.map((p) => row(p, checked)))) : null;
  };
  const stops = [live(ctx, head, drawHead), live(ctx, missing, drawMissing),
    ctx.onChange(() => { finder.redraw(); drawFound(); })];

  add(root, heading(ctx, [h("bdi", { text: v.vehicle.label }),
    v.convoy ? h("span", { class: "muted" }, " · ", h("bdi", { text: v.convoy.label })) : null]),
  head, problem, cards.element, found, finder.element, missing);
  return () => {
    stops.forEach((stop) => stop());
    cards.stop();
  };
}

function fixCheckin(root, ctx, fixed) {
  const problem = h("p", { class: "error-box", role: "alert", hidden: true });
  const who = ctx.data.person(fixed.payload.person_id);
  const save = button(ctx.t("fix.save"), async () => {
    save.disabled = true;
    const done = await checkIn(ctx, fixed.payload.person_id, null, problem, fixed);
    if (!done) {
      save.disabled = false;
      return;
    }
    const whom = who ? fullName(who) : fixed.payload.person_id;
    fill(root, heading(ctx, ctx.t("rec.check_in")),
      saved(ctx, done, ctx.t("rec.checked_in_one", { name: whom })));
  }, "primary big");
  add(root, heading(ctx, ctx.t("rec.check_in")), fixNote(ctx, fixed),
    who ? h("p", { class: "lead" }, name(who)) : null, save, problem);
  return null;
}
