// What the scoped pull gave this phone, decrypted, in memory while unlocked; read by
// the screens through ctx.data. How a pull answer is applied is docs/sync.md's rule:
// `full` replaces everything, vehicles are always replaced whole, persons and
// households added or replaced, `gone` deleted, `queue` null keeps the one held.

function empty() {
  return { vehicles: [], persons: new Map(), households: new Map(), queue: [],
    locations: [], conflicts: [] };
}

let held = empty();

export function clear() {
  held = empty();
}

// The plain form kept (encrypted) in IndexedDB, and back.
export function snapshot() {
  return { vehicles: held.vehicles, persons: [...held.persons.values()],
    households: [...held.households.values()], queue: held.queue,
    locations: held.locations, conflicts: held.conflicts };
}

export function restore(saved) {
  held = empty();
  if (!saved) return;
  held.vehicles = saved.vehicles || [];
  for (const p of saved.persons || []) held.persons.set(p.person_id, p);
  for (const h of saved.households || []) held.households.set(h.household_id, h);
  held.queue = saved.queue || [];
  held.locations = saved.locations || [];
  held.conflicts = saved.conflicts || [];
}

export function apply(answer) {
  if (answer.full) {
    const { locations } = held;
    held = empty();
    held.locations = locations;
  }
  held.vehicles = answer.vehicles || [];
  for (const p of answer.persons || []) held.persons.set(p.person_id, p);
  for (const h of answer.households || []) held.households.set(h.household_id, h);
  for (const id of answer.gone?.persons || []) held.persons.delete(id);
  for (const id of answer.gone?.households || []) held.households.delete(id);
  if (answer.queue != null) held.queue = answer.queue;
  if (answer.conflicts != null) held.conflicts = answer.conflicts;
}

export function setLocations(locations) {
  held.locations = locations.map(({ location_id, kind, name }) => ({ location_id, kind, name }));
}

// The read-only view the screens get.
export const data = {
  vehicles: () => held.vehicles,
  vehicle: (id) => held.vehicles.find((v) => v.vehicle.vehicle_id === id) || null,
  person: (id) => held.persons.get(id) || null,
  persons: () => [...held.persons.values()],
  household: (id) => held.households.get(id) || null,
  households: () => [...held.households.values()],
  queue: () => held.queue,
  locations: () => held.locations,
  conflicts: () => held.conflicts,
};

export function conflictOf(eventId) {
  return held.conflicts.find((c) => c.event_id === eventId) || null;
}
