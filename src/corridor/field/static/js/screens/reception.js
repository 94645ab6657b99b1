// Reception: record a vehicle's arrival, check people in by scanning their household's
// token card or a wristband, or by finding them on the vehicle's manifest by name in
// either script (names.js, offline), and see who from the vehicle is still missing.

import { KINDS } from "../codes.js";
import { scanner } from "../scan.js";
import { search } from "../names.js";
import {
  add, back, facts, figure, fill, fixing, fullName, h, live, name, record, rejected, saved,
} from "./ui.js";

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

function arrivedHere(ctx, entry) {
  const post = ctx.me.post_id;
  const mine = facts(ctx, "VehicleArrived").find((e) => e.payload.vehicle_id === entry.vehicle.vehicle_id);
  return { arrived: Boolean(mine) || entry.vehicle.arrived_at_id === post, event: mine || null };
}

// A vehicle heading here: {id, vehicle, convoy, arrived, arrival, people, missing, checked}.
function vehicleView(ctx, entry) {
  const done = checkedIn(ctx);
  const id = entry.vehicle.vehicle_id;
  const people = entry.person_ids.map((p) => ctx.data.person(p)).filter(Boolean);
  const { arrived, event } = arrivedHere(ctx, entry);
  const checked = [...done.keys()].filter((p) => entry.person_ids.includes(p) || checkedFrom.get(p) === id);
  return { ...entry, id, arrived, arrival: event, people,
    missing: people.filter((p) => !done.has(p.person_id)), checked };
}

function findVehicle(ctx, id) {
  const entry = id && ctx.data.vehicle(id);
  return entry ? vehicleView(ctx, entry) : null;
}

const sameCode = (a, b) => a && b && a.toUpperCase() === b.toUpperCase();

async function checkIn(ctx, personId, vehicleId, problem, replaces) {
  const done = await record(ctx, "PersonCheckedIn", { person_id: personId, location_id: ctx.me.post_id },
    replaces ? { replaces } : undefined, problem);
  if (done && vehicleId) checkedFrom.set(personId, vehicleId);
  return done;
}

// One person with a big "check in" button, or their record's state once checked in.
function personRow(ctx, person, vehicleId, problem) {
  const done = checkedIn(ctx).get(person.person_id);
  const button = h("button", { type: "button", class: "primary", "data-checkin": person.person_id,
    text: ctx.t("rec.check_in") });
  button.addEventListener("click", async () => {
    button.disabled = true;
    if (!(await checkIn(ctx, person.person_id, vehicleId, problem))) button.disabled = false;
  });
  return h("li", { class: "record", "data-person": person.person_id },
    h("div", {}, name(person),
      h("span", { class: "muted", dir: "ltr" }, [person.birth_year, person.token].filter(Boolean).join(" · "))),
    done ? ctx.badge(done.id) : button);
}

function missingVehicle(root, ctx) {
  add(root, h("header", { class: "screen-head" }, back(ctx), h("h1", { text: ctx.t("rec.vehicle") })),
    h("p", { class: "empty", text: ctx.t("rec.no_vehicle") }));
  return null;
}

// --- home -----------------------------------------------------------------------------------

function home(root, ctx) {
  const problem = h("p", { class: "error-box", role: "alert", hidden: true });
  const vehicleScanner = scanner(ctx, { kind: KINDS.vehicle, label: ctx.t("rec.scan_vehicle"),
    onCode: (code) => {
      const found = code.kind === KINDS.vehicle
        ? ctx.data.vehicles().find((v) => sameCode(v.vehicle.vehicle_id, code.key)) : null;
      if (found) return ctx.go(`/reception/checkin?vehicle=${encodeURIComponent(found.vehicle.vehicle_id)}`);
      problem.textContent = code.kind === KINDS.vehicle ? ctx.t("rec.not_expected", { vehicle: code.key })
        : ctx.t("scan.wrong_kind_v");
      problem.hidden = false;
      return null;
    } });
  const list = h("div", { class: "live" });
  add(root, h("header", { class: "screen-head" }, h("h1", { text: ctx.t("rec.title") }),
    h("p", { class: "post", text: ctx.t("rec.post", { post: ctx.me.post_name || ctx.me.post_id || "—" }) })),
  vehicleScanner.element, problem, list);
  const unsubscribe = live(ctx, list, () => [
    rejected(ctx, ["VehicleArrived", "PersonCheckedIn"], (e) => ctx.t(`rec.record.${e.type}`)),
    vehiclesList(ctx)]);
  return () => { unsubscribe(); vehicleScanner.stop(); };
}

function vehiclesList(ctx) {
  const all = ctx.data.vehicles().map((entry) => vehicleView(ctx, entry));
  return h("section", {}, h("h2", {}, ctx.t("rec.heading"), h("span", { class: "count", text: String(all.length) })),
    all.length ? h("ul", { class: "rows" }, all.map((v) => h("li", {},
      h("button", { type: "button", class: "row", "data-vehicle": v.id,
        onclick: () => ctx.go(`/reception/checkin?vehicle=${encodeURIComponent(v.id)}`) },
      h("span", { class: "row-main" }, h("bdi", { class: "vehicle-label", text: v.vehicle.label }),
        v.convoy ? h("span", { class: "muted" }, h("bdi", { text: v.convoy.label })) : null),
      h("span", { class: "row-side" },
        h("span", { class: v.arrived ? "chip ok" : "chip", text: ctx.t(v.arrived ? "rec.arrived" : "rec.on_the_way") }),
        h("span", { class: "seats", text: ctx.t("rec.to_check_in", { n: v.missing.length }) })))))) 
      : h("p", { class: "empty", text: ctx.t("rec.none_heading") }));
}

// --- arrival ---------------------------------------------------------------------------------

function arrivalButton(ctx, v, problem, fixed) {
  const button = h("button", { type: "button", class: "primary big", "data-arrival": v.id,
    text: ctx.t(fixed ? "fix.save" : "rec.record_arrival") });
  button.addEventListener("click", async () => {
    button.disabled = true;
    const done = await record(ctx, "VehicleArrived", { vehicle_id: v.id, location_id: ctx.me.post_id },
      fixed ? { replaces: fixed.id } : undefined, problem);
    if (!done) button.disabled = false;
    else if (fixed) ctx.go(`/reception/checkin?vehicle=${encodeURIComponent(v.id)}`);
  });
  return button;
}

function arrival(root, ctx, params) {
  const fixed = fixing(ctx, params, ["VehicleArrived"]);
  const v = findVehicle(ctx, fixed?.payload.vehicle_id || params.vehicle);
  if (!v) return missingVehicle(root, ctx);
  const problem = h("p", { class: "error-box", role: "alert", hidden: true });
  add(root, h("header", { class: "screen-head" }, back(ctx), h("h1", {}, h("bdi", { text: v.vehicle.label }))),
    fixed ? h("p", { class: "reason", dir: "auto", text: ctx.t("fix.reason", { reason: fixed.reason || "" }) }) : null,
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
  const found = h("section", { class: "found" });
  const current = () => findVehicle(ctx, v.id);

  let scanned = null; // the people a scanned card or wristband names
  const cardScanner = scanner(ctx, { kind: KINDS.household, label: ctx.t("rec.scan_card"),
    onCode: (code) => {
      const people = current().people;
      scanned = code.kind === KINDS.person ? people.filter((p) => p.person_id === code.key)
        : code.kind === KINDS.household ? people.filter((p) => sameCode(p.token, code.key)) : [];
      problem.hidden = Boolean(scanned.length);
      if (!scanned.length) {
        problem.textContent = code.kind === KINDS.vehicle ? ctx.t("rec.scan_a_person") : ctx.t("rec.not_on_vehicle");
      }
      drawFound();
    } });

  const query = h("input", { type: "search", id: "f-search", dir: "auto", autocomplete: "off",
    placeholder: ctx.t("search.placeholder") });
  const results = h("ul", { class: "records results" });
  const drawResults = () => {
    const text = query.value.trim();
    if (!text) return fill(results);
    const hits = search(current().people, text, 20);
    return fill(results, ...(hits.length ? hits.map((hit) => personRow(ctx, hit.person, v.id, problem))
      : [h("li", { class: "empty", text: ctx.t("search.none") })]));
  };
  query.addEventListener("input", drawResults);

  function drawFound() {
    const waiting = (scanned || []).filter((p) => !checkedIn(ctx).has(p.person_id));
    fill(found, ...(scanned?.length ? [
      h("h2", { text: ctx.t("rec.scanned", { n: scanned.length }) }),
      h("ul", { class: "records" }, scanned.map((p) => personRow(ctx, p, v.id, problem))),
      waiting.length > 1 ? h("button", { type: "button", class: "primary big", text: ctx.t("rec.check_in_all", { n: waiting.length }),
        onclick: async () => {
          for (const p of waiting) if (!(await checkIn(ctx, p.person_id, v.id, problem))) break;
        } }) : null] : []));
  }

  const head = h("div", { class: "live" });
  const missing = h("div", { class: "live" });
  const drawHead = () => {
    const now = current();
    return [
      h("div", { class: "figures" },
        figure(now.missing.length, ctx.t("rec.missing"), now.missing.length ? "warn" : "ok"),
        figure(now.checked.length, ctx.t("rec.checked_in"))),
      now.arrived ? h("p", { class: "arrived" }, h("span", { class: "chip ok", text: ctx.t("rec.arrived") }),
        now.arrival ? ctx.badge(now.arrival.id) : null) : arrivalButton(ctx, now, problem, null)];
  };
  const drawMissing = () => {
    const now = current();
    return now.missing.length ? h("details", { class: "missing" },
      h("summary", { text: ctx.t("rec.who_missing", { n: now.missing.length }) }),
      h("ul", { class: "records" }, now.missing.map((p) => personRow(ctx, p, v.id, problem)))) : null;
  };
  const stops = [live(ctx, head, drawHead), live(ctx, missing, drawMissing),
    ctx.onChange(() => { drawResults(); drawFound(); })];

  add(root, h("header", { class: "screen-head" }, back(ctx), h("h1", {}, h("bdi", { text: v.vehicle.label }),
    v.convoy ? h("span", { class: "muted" }, " · ", h("bdi", { text: v.convoy.label })) : null)),
  head, problem, cardScanner.element, found,
  h("section", { class: "search" }, h("label", { for: "f-search", class: "label", text: ctx.t("rec.search") }), query, results),
  missing);
  return () => { stops.forEach((stop) => stop()); cardScanner.stop(); };
}

function fixCheckin(root, ctx, fixed) {
  const problem = h("p", { class: "error-box", role: "alert", hidden: true });
  const who = ctx.data.person(fixed.payload.person_id);
  const button = h("button", { type: "button", class: "primary big", text: ctx.t("fix.save") });
  button.addEventListener("click", async () => {
    button.disabled = true;
    const done = await checkIn(ctx, fixed.payload.person_id, null, problem, fixed.id);
    if (done) fill(root, h("header", { class: "screen-head" }, back(ctx), h("h1", { text: ctx.t("rec.check_in") })),
      saved(ctx, done, ctx.t("rec.checked_in_one", { name: who ? fullName(who) : fixed.payload.person_id })));
    else button.disabled = false;
  });
  add(root, h("header", { class: "screen-head" }, back(ctx), h("h1", { text: ctx.t("rec.check_in") })),
    h("p", { class: "reason", dir: "auto", text: ctx.t("fix.reason", { reason: fixed.reason || "" }) }),
    who ? h("p", { class: "lead" }, name(who)) : null, button, problem);
  return null;
}
