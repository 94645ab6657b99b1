"""Message keys the templates build at run time, listed so that `pybabel extract` keeps them.

Templates name a label by its value (`t("status." ~ p.status)`), which no extractor can
read; each key appears here once, literally, so that a catalogue update does not
declare it obsolete. `tests/test_i18n.py` checks each list against the vocabulary it
labels, so a new status or role without its label fails there.
"""

from __future__ import annotations

from corridor.web.i18n import N_

# Prefix -> the keys under it, in the order the UI lists them.
LABELS: dict[str, tuple[str, ...]] = {
    "status": (  # vocabulary.Status
        N_("status.waiting"), N_("status.on_vehicle"), N_("status.arrived"), N_("status.removed"),
        N_("status.stayed"), N_("status.unaccounted"),
    ),
    "need": (  # vocabulary.Need
        N_("need.wounded"), N_("need.medical"), N_("need.unaccompanied_child"),
        N_("need.separated_child"), N_("need.elderly"), N_("need.disability"), N_("need.pregnant"),
    ),
    "sex": (  # vocabulary.Sex
        N_("sex.female"), N_("sex.male"), N_("sex.unknown"),
    ),
    "vehicle_kind": (  # vocabulary.VehicleKind
        N_("vehicle_kind.bus"), N_("vehicle_kind.ambulance"), N_("vehicle_kind.private_car"),
    ),
    "location_kind": (  # vocabulary.LocationKind
        N_("location_kind.gathering_point"), N_("location_kind.checkpoint"),
        N_("location_kind.crossing"), N_("location_kind.reception"), N_("location_kind.hospital"),
    ),
    "convoy_state": (  # vocabulary.ConvoyState
        N_("convoy_state.planned"), N_("convoy_state.departed"), N_("convoy_state.held"),
        N_("convoy_state.turned_back"), N_("convoy_state.returned"), N_("convoy_state.aborted"),
        N_("convoy_state.arrived"),
    ),
    "alert_kind": (  # vocabulary.AlertKind
        N_("alert_kind.headcount_short"), N_("alert_kind.headcount_over"),
        N_("alert_kind.not_checked_in"), N_("alert_kind.over_capacity"),
    ),
    "alert_status": (  # vocabulary.AlertStatus
        N_("alert_status.open"), N_("alert_status.explained"), N_("alert_status.resolved"),
    ),
    "alert_what": (  # vocabulary.AlertKind: what the alert means and what can explain it
        N_("alert_what.headcount_short"), N_("alert_what.headcount_over"),
        N_("alert_what.not_checked_in"), N_("alert_what.over_capacity"),
    ),
    "fact": (  # the facts that explain an alert (entities.named_fact)
        N_("fact.PersonCheckedIn"), N_("fact.PersonRemoved"), N_("fact.CheckpointPassed"),
        N_("fact.PersonDisembarked"), N_("fact.PersonStayed"),
    ),
    "removal_reason": (  # vocabulary.RemovalReason
        N_("removal_reason.detained"), N_("removal_reason.medical"), N_("removal_reason.other"),
    ),
    "incident_type": (  # vocabulary.IncidentType
        N_("incident_type.shooting"), N_("incident_type.blockage"), N_("incident_type.detention"),
        N_("incident_type.accident"), N_("incident_type.medical"), N_("incident_type.weather"),
        N_("incident_type.other"),
    ),
    "role": (  # vocabulary.Role
        N_("role.admin"), N_("role.coordinator"), N_("role.registrar"),
        N_("role.checkpoint_monitor"), N_("role.reception"), N_("role.tracing_officer"),
        N_("role.partner"),
    ),
    "request_status": (
        N_("request_status.open"), N_("request_status.closed"),
    ),
    "outcome": (
        N_("outcome.found"), N_("outcome.not_found"), N_("outcome.withdrawn"),
        N_("outcome.referred"),
    ),
    "review": (
        N_("review.confirmed"), N_("review.rejected"), N_("review.unsure"),
    ),
    "review_action": (
        N_("review_action.confirmed"), N_("review_action.rejected"), N_("review_action.unsure"),
    ),
    "match": (
        N_("match.given_name"), N_("match.father_name"), N_("match.family_name"), N_("match.sex"),
        N_("match.birth_year"), N_("match.origin"), N_("match.household"),
    ),
    "party_kind": (  # vocabulary.PartyKind
        N_("party_kind.party"), N_("party_kind.organisation"),
    ),
    "setup.step": (  # services.views.setup.STEPS
        N_("setup.step.operation"), N_("setup.step.parties"), N_("setup.step.locations"),
        N_("setup.step.routes"), N_("setup.step.vehicles"), N_("setup.step.convoys"),
    ),
    "setup.about": (
        N_("setup.about.operation"), N_("setup.about.parties"), N_("setup.about.locations"),
        N_("setup.about.routes"), N_("setup.about.vehicles"), N_("setup.about.convoys"),
    ),
    "control.action": (  # domain.control.Action
        N_("control.action.depart"), N_("control.action.hold"), N_("control.action.release"),
        N_("control.action.turn-back"), N_("control.action.return"), N_("control.action.abort"),
    ),
    "control.title": (
        N_("control.title.depart"), N_("control.title.hold"), N_("control.title.release"),
        N_("control.title.turn-back"), N_("control.title.return"), N_("control.title.abort"),
    ),
    "control.record": (
        N_("control.record.depart"), N_("control.record.hold"), N_("control.record.release"),
        N_("control.record.turn-back"), N_("control.record.return"), N_("control.record.abort"),
    ),
    "control.submit": (
        N_("control.submit.depart"), N_("control.submit.hold"), N_("control.submit.release"),
        N_("control.submit.turn-back"), N_("control.submit.return"), N_("control.submit.abort"),
    ),
    # register.html names the three name fields by field name
    "person": (N_("person.given_name"), N_("person.father_name"), N_("person.family_name")),
    # dashboard.html: the demo's steps forward (services.rehearsal.Rehearsal.steps, and end)
    "demo.step": (N_("demo.step.hour"), N_("demo.step.six_hours"), N_("demo.step.morning"),
                  N_("demo.step.end")),
}
