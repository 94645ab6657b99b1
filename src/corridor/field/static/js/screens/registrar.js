// The registrar at a gathering point: register a household (the web form's fields and
// rules, checked here before anything is recorded), give it its boarding token, the
// boarding queue by priority, and board a household onto a vehicle.
//
// Everything works offline: the households and boardings recorded on this phone are
// laid over what the last pull gave (the queue, the vehicles boarding here and who
// is on them) until the server's own answer includes them.

import { freshToken, KINDS, withCheck } from "../codes.js";
import { scanner } from "../scan.js";
import {
  add, badge, button, checkboxes, checked, choices, facts, field, figure, fill, fixing, fixNote,
  fullName, h, heading, homeHeading, live, name, record, rejected, saved, select, showErrors,
  submitButton, tokenCard,
} from "./ui.js";

const NEEDS = ["wounded", "medical", "unaccompanied_child", "separated_child", "elderly",
  "disability", "pregnant"];
// The boarding order of domain/vocabulary.py: the most urgent need a household has.
const NEED_PRIORITY = { wounded: 0, medical: 1, unaccompanied_child: 2, separated_child: 2,
  pregnant: 3, disability: 4, elderly: 5 };
const NO_NEED_PRIORITY = 9;
const SEXES = ["female", "male", "unknown"];
const ARRIVAL_KINDS = ["reception", "hospital"];
const NAMES = ["given_name", "father_name", "family_name"];
const MAX_MEMBERS = 60;
const NAME_LENGTH = 120;
const TOKEN = /^[A-Za-z0-9-]{1,40}$/u;
// What domain/events.py refuses in a name: control characters and lone surrogates,
// and bidirectional controls (a name never needs them; they make two names that look
// alike different strings).
const CONTROL = /[\u0000-\u001f\u007f-\u009f]|\p{Cs}/u;
const BIDI = /[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/u;

export function render(root, ctx, params) {
  const view = { register, board, token }[params.sub] || home;
  return view(root, ctx, params);
}

// --- what this phone knows: the pull, and its own records over it -------------------------

const priorityOf = (needs) => Math.min(NO_NEED_PRIORITY, ...needs.map((n) => NEED_PRIORITY[n]));

// This phone's own records, the refused ones aside, read once for what a screen draws:
// {boarded: person → vehicle, registered: [{household_id, token, members, event}],
// members: person id → member}.
function own(ctx) {
  const issued = new Map(facts(ctx, "TokenIssued")
    .map((e) => [e.payload.household_id, e.payload.token]));
  const registered = facts(ctx, "HouseholdRegistered").map((event) => ({
    household_id: event.payload.household_id, event, members: event.payload.members,
    token: event.payload.token || issued.get(event.payload.household_id) || null }));
  return { issued, registered,
    boarded: new Map(facts(ctx, "PersonBoarded")
      .map((e) => [e.payload.person_id, e.payload.vehicle_id])),
    members: new Map(registered.flatMap((r) => r.members.map((m) => [m.person_id, m]))) };
}

function person(ctx, personId, mine = own(ctx)) {
  return ctx.data.person(personId) || mine.members.get(personId) || null;
}

// The boarding queue: the server's, then households registered here it does not hold
// yet; anyone boarded from this phone taken out. Entries: {household_id, token,
// priority, person_ids, needs}.
function queue(ctx, mine = own(ctx)) {
  const entries = ctx.data.queue().map((entry, order) => ({ ...entry, order,
    token: entry.token || mine.issued.get(entry.household_id) || null }));
  const known = new Set([...entries.map((e) => e.household_id),
    ...ctx.data.households().map((hh) => hh.household_id)]);
  mine.registered.filter((r) => !known.has(r.household_id)).forEach((r, n) => {
    const needs = [...new Set(r.members.flatMap((m) => m.needs))];
    entries.push({ household_id: r.household_id, token: r.token, priority: priorityOf(needs),
      person_ids: r.members.map((m) => m.person_id), needs, order: entries.length + n });
  });
  return entries
    .map((e) => ({ ...e, person_ids: e.person_ids.filter((id) => !mine.boarded.has(id)) }))
    .filter((e) => e.person_ids.length)
    .sort((a, b) => a.priority - b.priority || a.order - b.order);
}

// The vehicles boarding here: {vehicle_id, label, capacity, aboard: [person ids]}.
function vehicles(ctx, mine = own(ctx)) {
  return ctx.data.vehicles().map(({ vehicle, person_ids: ids }) => {
    const aboard = new Set(ids);
    for (const [personId, vehicleId] of mine.boarded) {
      if (vehicleId === vehicle.vehicle_id) aboard.add(personId);
    }
    return { vehicle_id: vehicle.vehicle_id, label: vehicle.label, capacity: vehicle.capacity,
      aboard: [...aboard] };
  });
}

// Every token this phone knows of: a token made here must be none of them.
function knownTokens(ctx) {
  const mine = own(ctx);
  return new Set([...ctx.data.households().map((hh) => hh.token),
    ...ctx.data.persons().map((p) => p.token), ...queue(ctx, mine).map((e) => e.token),
    ...mine.registered.map((r) => r.token)].filter(Boolean));
}

const to = (sub, key, value) => `/registrar/${sub}?${key}=${encodeURIComponent(value)}`;
const sameCode = (a, b) => a && b && a.toUpperCase() === b.toUpperCase();

function householdByToken(ctx, code) {
  return queue(ctx).find((entry) => sameCode(entry.token, code)) || null;
}

// --- home: the queue and what this phone recorded ------------------------------------------

function home(root, ctx) {
  const list = h("div", { class: "live" });
  add(root, homeHeading(ctx, ctx.t("reg.title"), "reg.post"),
    h("div", { class: "buttons" },
      button(ctx.t("reg.register"), () => ctx.go("/registrar/register"), "primary big"),
      button(ctx.t("reg.board"), () => ctx.go("/registrar/board"))),
    list);
  return live(ctx, list, () => [
    rejected(ctx, ["HouseholdRegistered", "TokenIssued", "PersonBoarded"], (e) => describe(ctx, e)),
    queueList(ctx), recent(ctx)]);
}

function describe(ctx, event) {
  if (event.type === "HouseholdRegistered") {
    return ctx.t("reg.household_of", { name: fullName(event.payload.members[0]) });
  }
  if (event.type === "PersonBoarded") {
    const who = person(ctx, event.payload.person_id);
    const vehicle = event.payload.vehicle_id;
    return ctx.t("reg.boarded_record", { name: who ? fullName(who) : "?", vehicle });
  }
  return ctx.t("reg.token_record", { token: event.payload.token });
}

function tokenText(token) {
  return token ? h("span", { class: "token-small", dir: "ltr", text: withCheck(token) }) : null;
}

function needChips(ctx, needs) {
  return needs.length ? h("span", { class: "chips" },
    needs.map((need) => h("span", { class: `chip need-${need}`, text: ctx.t(`need.${need}`) })))
    : null;
}

function queueList(ctx) {
  const mine = own(ctx);
  const entries = queue(ctx, mine);
  return h("section", { class: "queue" },
    h("h2", {}, ctx.t("reg.queue"), h("span", { class: "count", text: String(entries.length) })),
    entries.length ? h("ol", { class: "rows" }, entries.slice(0, 50).map((entry) => {
      const first = person(ctx, entry.person_ids[0], mine);
      return h("li", {}, h("button", { type: "button", class: "row",
        "data-household": entry.household_id,
        onclick: () => ctx.go(to("board", "household", entry.household_id)) },
      h("span", { class: "row-main" }, first ? name(first) : null,
        h("span", { class: "muted", text: ctx.t("reg.waiting", { n: entry.person_ids.length }) })),
      h("span", { class: "row-side" },
        entry.token ? h("span", { class: "token-small", dir: "ltr", text: withCheck(entry.token) })
          : h("span", { class: "muted", text: ctx.t("reg.no_token") }),
        needChips(ctx, entry.needs))));
    })) : h("p", { class: "empty", text: ctx.t("reg.queue_empty") }));
}

function recent(ctx) {
  const recorded = own(ctx).registered.slice(-10).reverse();
  if (!recorded.length) return null;
  return h("section", { class: "recent" },
    h("h2", { text: ctx.t("reg.recent") }),
    h("ul", { class: "records" }, recorded.map((r) => h("li", { class: "record" },
      h("div", {}, name(r.members[0]),
        r.members.length > 1
          ? h("span", { class: "muted", text: ` +${r.members.length - 1}` }) : null,
        ctx.badge(r.event.id)),
      r.token ? h("span", { class: "token-small", dir: "ltr", text: withCheck(r.token) })
        : h("button", { type: "button", class: "secondary", "data-household": r.household_id,
          onclick: () => ctx.go(to("token", "household", r.household_id)),
          text: ctx.t("reg.give_token") })))));
}

// --- register -------------------------------------------------------------------------------

function nameError(ctx, text, required) {
  const value = text.trim().normalize("NFC");
  if (!value) return required ? ctx.t("err.required") : null;
  if (CONTROL.test(value)) return ctx.t("err.control");
  const bidi = value.match(BIDI);
  if (bidi) {
    const code = bidi[0].codePointAt(0).toString(16).toUpperCase().padStart(4, "0");
    return ctx.t("err.bidi", { character: `U+${code}` });
  }
  if (Array.from(value).length > NAME_LENGTH) return ctx.t("err.too_long", { max: NAME_LENGTH });
  return null;
}

function whole(text, low, high) {
  if (!/^\d+$/u.test(text)) return null;
  const value = Number(text);
  return value >= low && value <= high ? value : null;
}

// The household from the form as HouseholdRegistered's payload, or the errors by field
// ({"m0.given_name": "…"}), each message naming its field and member.
function readHousehold(ctx, form, memberIds, tokenValue, destinations) {
  const errors = {};
  const members = [];
  const say = (key, i, fieldKey, problem) => {
    const field_ = ctx.t(`person.${fieldKey}`);
    errors[key] = ctx.t("err.member_field", { n: i + 1, field: field_, problem });
  };
  memberIds.forEach((personId, i) => {
    const value = (f) => form.querySelector(`[name="m${i}.${f}"]`).value.trim();
    // An untouched extra member is left out, as on the web form.
    const typed = [...NAMES, "birth_year", "age"].some((f) => value(f))
      || checked(form, `m${i}.needs`).length;
    if (!typed && memberIds.length > 1) return;
    const member = { person_id: personId };
    for (const f of NAMES) {
      const problem = nameError(ctx, value(f), f === "given_name");
      if (problem) say(`m${i}.${f}`, i, f, problem);
      else if (value(f)) member[f] = value(f).normalize("NFC");
    }
    member.sex = checked(form, `m${i}.sex`)[0] || "unknown";
    const [year, age] = [value("birth_year"), value("age")];
    const year_ = (key) => say(`m${i}.birth_year`, i, "birth_year", ctx.t(key));
    if (year && age) year_("err.one_age");
    else if (year && whole(year, 1900, 2100) === null) year_("err.birth_year");
    else if (age && whole(age, 0, 120) === null) say(`m${i}.age`, i, "age", ctx.t("err.age"));
    else if (year) member.birth_year = Number(year);
    else if (age) member.age = Number(age);
    member.needs = checked(form, `m${i}.needs`).filter((n) => NEEDS.includes(n));
    const destination = value("destination_id");
    if (destination && !destinations.includes(destination)) {
      say(`m${i}.destination_id`, i, "destination", ctx.t("err.choice"));
    } else if (destination) {
      member.destination_id = destination;
    }
    member.consent = form.querySelector(`[name="m${i}.consent"]`).checked;
    members.push(member);
  });
  if (!members.length) say("m0.given_name", 0, "given_name", ctx.t("err.required"));
  if (tokenValue && !TOKEN.test(tokenValue)) errors.token = ctx.t("err.token");
  if (!ctx.me.post_id) errors.token ||= ctx.t("err.no_post");
  return { errors, members };
}

function memberBlock(ctx, i, member, destinations) {
  const text = (f, attrs = {}) => h("input", { type: "text", name: `m${i}.${f}`, id: `m${i}.${f}`,
    value: member[f] ?? "", dir: "auto", autocomplete: "off", maxlength: NAME_LENGTH, ...attrs });
  const number = (f, max) => h("input", { type: "text", name: `m${i}.${f}`, id: `m${i}.${f}`,
    value: member[f] ?? "", inputmode: "numeric", maxlength: max, dir: "ltr",
    autocomplete: "off" });
  return h("fieldset", { class: "member", "data-member": i },
    h("legend", { text: ctx.t("reg.member", { n: i + 1 }) }),
    NAMES.map((f) => field(ctx, { name: `m${i}.${f}`, label: ctx.t(`person.${f}`), input: text(f),
      optional: f !== "given_name" })),
    h("div", { class: "field", "data-field": `m${i}.sex` },
      h("span", { class: "label", text: ctx.t("person.sex") }),
      choices(`m${i}.sex`, SEXES.map((s) => [s, ctx.t(`sex.${s}`)]), member.sex || "unknown",
        ctx.t("person.sex")),
      h("p", { class: "field-error", hidden: true })),
    h("div", { class: "pair" },
      field(ctx, { name: `m${i}.birth_year`, label: ctx.t("person.birth_year"),
        input: number("birth_year", 4) }),
      field(ctx, { name: `m${i}.age`, label: ctx.t("person.age"), input: number("age", 3) })),
    h("div", { class: "field", "data-field": `m${i}.needs` },
      h("span", { class: "label", text: ctx.t("person.needs") }),
      checkboxes(`m${i}.needs`, NEEDS.map((n) => [n, ctx.t(`need.${n}`)]), member.needs || []),
      h("p", { class: "field-error", hidden: true })),
    field(ctx, { name: `m${i}.destination_id`, label: ctx.t("person.destination"), optional: true,
      input: select(destinations.map((l) => [l.location_id,
        `${l.name} (${ctx.t(`kind.${l.kind}`)})`]),
        member.destination_id, ctx.t("form.not_chosen")) }),
    h("label", { class: "choice consent" },
      h("input", { type: "checkbox", name: `m${i}.consent`, checked: Boolean(member.consent) }),
      h("span", { text: ctx.t("person.consent") })));
}

function register(root, ctx, params) {
  const fixed = fixing(ctx, params, ["HouseholdRegistered"]);
  const before = fixed?.payload;
  const destinations = ctx.data.locations().filter((l) => ARRIVAL_KINDS.includes(l.kind));
  // Made once per household on this form, so a second tap on "save" after a slow
  // write cannot register the family twice under two ids.
  const householdId = before?.household_id || crypto.randomUUID();
  const memberIds = (before?.members || [{}]).map((m) => m.person_id || crypto.randomUUID());
  let members = before?.members || [{}];
  let chosenToken = before?.token || "";

  const problem = h("p", { class: "error-box", role: "alert", hidden: true });
  const tokenShown = h("div", { class: "token-chosen" });
  const tokenBlock = h("div", { class: "field", "data-field": "token" },
    h("span", { class: "label", text: ctx.t("reg.token") }), tokenShown,
    h("p", { class: "field-error", hidden: true }));
  const cardScanner = scanner(ctx, { kind: KINDS.household, label: ctx.t("reg.scan_card"),
    onCode: (code) => {
      if (code.kind !== KINDS.household) return showToken(null, ctx.t("scan.wrong_kind_h"));
      return showToken(code.key.toUpperCase());
    } });

  function showToken(value, message) {
    if (message) {
      tokenBlock.querySelector(".field-error").textContent = message;
      tokenBlock.querySelector(".field-error").hidden = false;
      return;
    }
    tokenBlock.querySelector(".field-error").hidden = true;
    chosenToken = value || "";
    fill(tokenShown, chosenToken ? h("div", {}, tokenCard(ctx, chosenToken),
      h("button", { type: "button", class: "link", onclick: () => showToken(null),
        text: ctx.t("reg.token_remove") }))
      : h("p", { class: "muted", text: ctx.t("reg.token_none") }));
    cardScanner.element.hidden = Boolean(chosenToken);
    fresh.hidden = Boolean(chosenToken);
  }
  const fresh = button(ctx.t("reg.token_new"), () => showToken(freshToken(knownTokens(ctx))));

  const membersBox = h("div", { class: "members" });
  const drawMembers = () => fill(membersBox, 
    ...members.map((m, i) => memberBlock(ctx, i, m, destinations)));
  const keep = () => {
    // What is typed survives adding or removing a member.
    const typed = (i, f) => form.querySelector(`[name="m${i}.${f}"]`).value;
    members = memberIds.map((_, i) => ({
      ...Object.fromEntries([...NAMES, "birth_year", "age", "destination_id"]
        .map((f) => [f, typed(i, f)])),
      sex: checked(form, `m${i}.sex`)[0], needs: checked(form, `m${i}.needs`),
      consent: form.querySelector(`[name="m${i}.consent"]`).checked }));
  };
  const addMember = button(`+ ${ctx.t("reg.add_member")}`, () => {
    if (members.length >= MAX_MEMBERS) return;
    keep();
    members.push({});
    memberIds.push(crypto.randomUUID());
    drawMembers();
    membersBox.lastChild.querySelector("input").focus();
  }, "secondary");
  const dropMember = button(ctx.t("reg.remove_member"), () => {
    if (members.length <= 1) return;
    keep();
    members.pop();
    memberIds.pop();
    drawMembers();
  }, "link");

  const summary = h("p", { class: "error-box", role: "alert", hidden: true });
  const submit = submitButton(ctx, fixed, "reg.save");
  const form = h("form", { class: "screen-form", novalidate: true, autocomplete: "off",
    onsubmit: async (event) => {
    event.preventDefault();
    const { errors, members: read } = readHousehold(ctx, form, memberIds, chosenToken,
      destinations.map((l) => l.location_id));
    if (!showErrors(form, errors, summary)) return;
    submit.disabled = true;
    const payload = { household_id: householdId, gathering_point_id: ctx.me.post_id,
      members: read };
    if (chosenToken) payload.token = chosenToken;
    const done = await record(ctx, "HouseholdRegistered", payload, fixed, problem);
    submit.disabled = false;
    if (done) registeredView(root, ctx, done, payload);
  } },
  fixed ? fixNote(ctx, fixed) : null,
  tokenBlock, cardScanner.element, fresh, membersBox,
  h("div", { class: "buttons" }, addMember, dropMember), summary, problem, submit);

  drawMembers();
  showToken(chosenToken);
  add(root, heading(ctx, ctx.t("reg.register")), form);
  return cardScanner.stop;
}

function registeredView(root, ctx, event, payload) {
  const id = payload.household_id;
  fill(root, heading(ctx, ctx.t("reg.done")),
    saved(ctx, event, ctx.t("reg.saved")),
    payload.token ? tokenCard(ctx, payload.token) : h("div", { class: "buttons" },
      button(ctx.t("reg.give_token"), () => ctx.go(to("token", "household", id)), "primary big")),
    h("ol", { class: "names" }, payload.members.map((m) => h("li", {}, name(m)))),
    h("div", { class: "buttons" },
      button(ctx.t("reg.board_now"), () => ctx.go(to("board", "household", id)), "primary big"),
      button(ctx.t("reg.another"), () => ctx.go(to("register", "again", Date.now())))));
  window.scrollTo(0, 0);
}

// --- a token for a household registered without one ----------------------------------------

function token(root, ctx, params) {
  const fixed = fixing(ctx, params, ["TokenIssued"]);
  const householdId = fixed?.payload.household_id || params.household;
  const problem = h("p", { class: "error-box", role: "alert", hidden: true });
  const body = h("div", {});
  // One token per visit: a second tap (or a second read of the card) while the first is
  // being written would give the household two.
  let issuing = false;
  const issue = async (value) => {
    if (issuing) return;
    issuing = true;
    const done = await record(ctx, "TokenIssued", { household_id: householdId, token: value },
      fixed, problem);
    issuing = Boolean(done);
    if (done) {
      fill(body, saved(ctx, done, ctx.t("reg.token_saved")), tokenCard(ctx, value),
        button(ctx.t("reg.board_now"), () => ctx.go(to("board", "household", householdId)),
          "primary big"));
    }
  };
  const cardScanner = scanner(ctx, { kind: KINDS.household, label: ctx.t("reg.scan_card"),
    onCode: (code) => {
      if (code.kind !== KINDS.household) {
        problem.textContent = ctx.t("scan.wrong_kind_h");
        problem.hidden = false;
        return;
      }
      issue(code.key.toUpperCase());
    } });
  add(body, cardScanner.element,
    button(ctx.t("reg.token_new"), () => issue(freshToken(knownTokens(ctx))), "primary big"));
  add(root, heading(ctx, ctx.t("reg.give_token")),
    fixed ? fixNote(ctx, fixed) : null,
    householdId ? body : h("p", { class: "empty", text: ctx.t("reg.no_household") }), problem);
  return cardScanner.stop;
}

// --- boarding -----------------------------------------------------------------------------------

function board(root, ctx, params) {
  const fixed = fixing(ctx, params, ["PersonBoarded"]);
  let household = null;
  let vehicleId = fixed?.payload.vehicle_id || params.vehicle || null;
  if (fixed) {
    const who = person(ctx, fixed.payload.person_id);
    household = { household_id: who?.household_id, token: who?.token,
      person_ids: [fixed.payload.person_id] };
  } else if (params.household) {
    household = queue(ctx).find((e) => e.household_id === params.household) || null;
  }

  const problem = h("p", { class: "error-box", role: "alert", hidden: true });
  const householdBox = h("section", { class: "step" });
  const vehicleBox = h("section", { class: "step" });
  const reasonInput = h("textarea", { name: "override_reason", rows: 2, dir: "auto" });
  if (fixed) reasonInput.value = fixed.payload.override_reason || "";
  const reasonField = field(ctx, { name: "override_reason", label: ctx.t("board.reason"),
    input: reasonInput, hint: ctx.t("board.reason_hint") });
  const summary = h("p", { class: "error-box", role: "alert", hidden: true });
  const capacity = h("div", { class: "capacity" });
  const submit = h("button", { type: "submit", class: "primary big" });

  const householdScanner = scanner(ctx, { kind: KINDS.household, label: ctx.t("board.scan_token"),
    onCode: (code) => {
      const found = code.kind === KINDS.household ? householdByToken(ctx, code.key) : null;
      if (!found) {
        return fail(code.kind === KINDS.household
          ? ctx.t("board.unknown_token", { token: code.key }) : ctx.t("scan.wrong_kind_h"));
      }
      household = found;
      leftOut.clear();
      return draw();
    } });
  const vehicleScanner = scanner(ctx, { kind: KINDS.vehicle, label: ctx.t("board.scan_vehicle"),
    onCode: (code) => {
      const found = code.kind === KINDS.vehicle
        ? vehicles(ctx).find((v) => sameCode(v.vehicle_id, code.key)) : null;
      if (!found) {
        return fail(code.kind === KINDS.vehicle
          ? ctx.t("board.unknown_vehicle", { vehicle: code.key }) : ctx.t("scan.wrong_kind_v"));
      }
      vehicleId = found.vehicle_id;
      return draw();
    } });

  function fail(message) {
    problem.textContent = message;
    problem.hidden = false;
  }

  const chosen = () => checked(form, "person");
  const leftOut = new Set(); // members unticked, kept while the rest redraws

  function drawHousehold() {
    if (!household) {
      const mine = own(ctx);
      const entries = queue(ctx, mine).slice(0, 12);
      fill(householdBox, h("h2", { text: ctx.t("board.which_household") }),
        householdScanner.element,
        h("p", { class: "label", text: ctx.t("board.or_pick") }),
        h("div", { class: "picks" }, entries.map((entry) => {
          const first = person(ctx, entry.person_ids[0], mine);
          return h("button", { type: "button", class: "pick", "data-household": entry.household_id,
            onclick: () => { household = entry; leftOut.clear(); draw(); } },
          h("span", { class: "row-main" }, first ? name(first) : null, h("span", { class: "muted",
            text: ctx.t("reg.waiting", { n: entry.person_ids.length }) })),
          tokenText(entry.token));
        })));
      return;
    }
    fill(householdBox,
      h("h2", {}, ctx.t("board.household"), tokenText(household.token)),
      h("div", { class: "choices" }, household.person_ids.map((id) => {
        const who = person(ctx, id);
        return h("label", { class: "choice" },
          h("input", { type: "checkbox", name: "person", value: id, checked: !leftOut.has(id),
            onchange: (event) => {
              if (event.target.checked) leftOut.delete(id);
              else leftOut.add(id);
              drawCapacity();
            } }),
          who ? name(who) : h("span", { text: id }));
      })),
      fixed ? null : button(ctx.t("board.other_household"), () => {
        household = null;
        leftOut.clear();
        draw();
      }, "link"));
  }

  function drawVehicles() {
    const list = vehicles(ctx);
    fill(vehicleBox, h("h2", { text: ctx.t("board.which_vehicle") }),
      list.length ? null : h("p", { class: "empty", text: ctx.t("board.no_vehicles") }),
      h("div", { class: "picks", role: "radiogroup" }, list.map((v) => h("label", {
        class: "pick vehicle" },
      h("input", { type: "radio", name: "vehicle", value: v.vehicle_id,
        checked: v.vehicle_id === vehicleId,
        onchange: () => {
          vehicleId = v.vehicle_id;
          draw();
        } }),
        h("span", { class: "row-main" }, h("bdi", { text: v.label })),
        h("span", { class: v.aboard.length >= v.capacity ? "seats full" : "seats", dir: "ltr",
          text: ctx.t("board.seats", { aboard: v.aboard.length, capacity: v.capacity }) })))),
      vehicleId ? null : vehicleScanner.element);
  }

  // Seats after boarding, and whether a reason is needed: a household split, or more
  // people than seats (domain/boarding.py's rules).
  function needs() {
    const v = vehicles(ctx).find((x) => x.vehicle_id === vehicleId);
    const people = household ? chosen() : [];
    const split = !fixed && household && people.length < household.person_ids.length;
    const over = v && v.aboard.length + people.length > v.capacity;
    return { v, people, split, over };
  }

  function drawCapacity() {
    const { v, people, split, over } = needs();
    const after = v ? v.aboard.length + people.length : 0;
    fill(capacity, ...(v ? [
      figure(`${after}/${v.capacity}`, ctx.t("board.after"), over ? "warn" : ""),
      over ? h("p", { class: "warning", text: ctx.t("board.over", { n: after - v.capacity }) })
        : null,
      split ? h("p", { class: "warning", text: ctx.t("board.split") }) : null] : []));
    reasonField.hidden = !(split || over);
    submit.textContent = ctx.t("board.submit", { n: people.length });
    submit.disabled = !household || !v || !people.length;
  }

  function draw() {
    problem.hidden = true;
    drawHousehold();
    drawVehicles();
    drawCapacity();
  }

  const form = h("form", { class: "screen-form", novalidate: true, onsubmit: async (event) => {
    event.preventDefault();
    const { v, people, split, over } = needs();
    const reason = reasonInput.value.trim();
    const errors = (split || over) && !reason
      ? { override_reason: ctx.t(split ? "board.reason_split" : "board.reason_over") } : {};
    if (!showErrors(form, errors, summary) || !v) return;
    submit.disabled = true;
    const done = [];
    for (const personId of people) {
      const one = await record(ctx, "PersonBoarded",
        { person_id: personId, vehicle_id: v.vehicle_id,
          override_reason: split || over ? reason : "" },
        fixed, problem);
      if (!one) break;
      done.push([personId, one]);
    }
    if (done.length) boardedView(root, ctx, v, done);
    else submit.disabled = false;
  } }, householdBox, vehicleBox, capacity, reasonField, summary, problem, submit);

  draw();
  add(root, heading(ctx, ctx.t("reg.board")), fixed ? fixNote(ctx, fixed) : null, form);
  return () => {
    householdScanner.stop();
    vehicleScanner.stop();
  };
}

function boardedView(root, ctx, vehicle, done) {
  const after = vehicles(ctx).find((v) => v.vehicle_id === vehicle.vehicle_id);
  fill(root, 
    heading(ctx, ctx.t("board.done")),
    figure(`${after.aboard.length}/${after.capacity}`, ctx.t("board.on", { vehicle: after.label })),
    h("ul", { class: "records" }, done.map(([personId, event]) => {
      const who = person(ctx, personId);
      return h("li", { class: "record" }, who ? name(who) : h("span", { text: personId }),
        badge(ctx, event.id));
    })),
    h("div", { class: "buttons" },
      button(ctx.t("board.next"), () => ctx.go(`${to("board", "vehicle", vehicle.vehicle_id)}`
        + `&again=${Date.now()}`), "primary big"),
      button(ctx.t("nav.home"), () => ctx.go("/home"))));
  window.scrollTo(0, 0);
}
