"""Every table Corridor keeps, in three groups:

- the ledger (`ledger_meta`, `events`, `rejects`): the only record that is written
  to, append-only; beside it `snapshots` of the fold, derived from it;
- projections: the operation's current state, derived from the ledger and
  rebuilt from it at will (`corridor rebuild`), never edited by hand;
- access (`users`, `sessions`, `api_tokens`, `devices`, `limit_hits`, `audit_meta`, `audit_log`,
  `audit_subjects`): who may do what, for how long, how often they may try, and
  who read what (a hash chain of its own, like the ledger's).

Schema changes go through Alembic (`storage/migrations`); this module is what the
migrations are checked against.
"""

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    false,
)

from corridor.domain.events import ALERT_ID_LENGTH

metadata = MetaData()
ID = 64
UTC_TIME = DateTime(timezone=True)

# --- the ledger --------------------------------------------------------------------

ledger_meta = Table(
    "ledger_meta", metadata,
    Column("id", Integer, primary_key=True),
    Column("epoch", String(36), nullable=False),  # new whenever the database is created or restored
    Column("created_at", UTC_TIME, nullable=False),
    Column("head_seq", BigInteger, nullable=False),
    Column("head_chain", String(64), nullable=False),
    # How far the projections have been written: pushes append only, and the
    # projections catch up before anything reads them (services.ledger).
    Column("projected_seq", BigInteger, nullable=False, server_default="0"),
    # The first event whose chain hash covers the account that pushed it (1 for a
    # ledger begun with that format; the next event for one begun before it).
    Column("attested_from", BigInteger, nullable=False, server_default="1"),
)

events = Table(
    "events", metadata,
    Column("seq", BigInteger, primary_key=True, autoincrement=False),
    Column("id", String(36), nullable=False, unique=True),
    Column("type", String(40), nullable=False),
    Column("payload", Text, nullable=False),
    Column("device_id", String(ID), nullable=False),
    Column("author", String(ID), nullable=False),
    Column("recorded_at", String(32), nullable=False),  # the device's clock, UTC ISO-8601
    Column("received_at", String(32), nullable=False),  # the server's clock, UTC ISO-8601
    Column("pushed_by", String(ID), nullable=False),  # the account that sent it
    Column("digest", String(64), nullable=False),
    Column("chain", String(64), nullable=False),
)

# Folded states at some sequence numbers, so the record as it stood at any moment is
# a load and a short fold away (services/timeline.py). Derived like the projections:
# keyed by the database's epoch and a hash of the fold's code, never backed up.
snapshots = Table(
    "snapshots", metadata,
    Column("epoch", String(36), primary_key=True),
    Column("fold", String(64), primary_key=True),  # the fold's code it was made by
    Column("seq", BigInteger, primary_key=True, autoincrement=False),
    Column("made_at", UTC_TIME, nullable=False),
    Column("data", LargeBinary, nullable=False),  # HMAC-SHA256, then zlib of a pickle
)

rejects = Table(
    "rejects", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("event_id", String(64)),
    Column("received_at", String(32), nullable=False),
    Column("pushed_by", String(ID), nullable=False),
    Column("reason", Text, nullable=False),
    Column("body", Text, nullable=False),  # exactly what arrived, for review
    # The device of the token that pushed it (its account is pushed_by): at most
    # `config.max_rejects` are kept per account and device, the rest only counted.
    Column("device_id", String(ID)),
    Index("ix_rejects_sender", "pushed_by", "device_id"),
)

# Rejects not kept because their sender had reached the cap: how many, and the last.
rejects_not_kept = Table(
    "rejects_not_kept", metadata,
    Column("pushed_by", String(ID), primary_key=True),
    Column("device_id", String(ID), primary_key=True),
    Column("count", BigInteger, nullable=False),
    Column("last_received_at", String(32), nullable=False),
)

# --- projections ---------------------------------------------------------------------

operation = Table(
    "operation", metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(120), nullable=False),
    Column("description", Text, nullable=False),
    Column("illustrative", Boolean, nullable=False),
    Column("opened_at", UTC_TIME, nullable=False),
)

parties = Table(
    "parties", metadata,
    Column("party_id", String(ID), primary_key=True),
    Column("name", String(120), nullable=False),
    Column("kind", String(20), nullable=False),
    Column("description", Text, nullable=False),
)

locations = Table(
    "locations", metadata,
    Column("location_id", String(ID), primary_key=True),
    Column("kind", String(20), nullable=False),
    Column("name", String(120), nullable=False),
    Column("latitude", Float, nullable=False),
    Column("longitude", Float, nullable=False),
    Column("held_by", String(ID)),
)

routes = Table(
    "routes", metadata,
    Column("route_id", String(ID), primary_key=True),
    Column("name", String(120), nullable=False),
    Column("origin_id", String(ID), nullable=False),
    Column("checkpoint_ids", JSON, nullable=False),
    Column("destination_id", String(ID), nullable=False),
)

vehicles = Table(
    "vehicles", metadata,
    Column("vehicle_id", String(ID), primary_key=True),
    Column("kind", String(20), nullable=False),
    Column("label", String(120), nullable=False),
    Column("capacity", Integer, nullable=False),
    Column("organisation_id", String(ID)),
    Column("convoy_id", String(ID), index=True),
    Column("last_checkpoint_id", String(ID)),
    Column("arrived_at_id", String(ID)),
    # The ledger seq of the projection pass that last wrote this row: the scoped pull
    # asks for rows changed since a device's cursor (services.reads).
    Column("changed_seq", BigInteger, nullable=False, server_default="0"),
)

convoys = Table(
    "convoys", metadata,
    Column("convoy_id", String(ID), primary_key=True),
    Column("label", String(120), nullable=False),
    Column("route_id", String(ID), nullable=False),
    Column("vehicle_ids", JSON, nullable=False),
    Column("state", String(20), nullable=False),
    Column("reason", Text, nullable=False),
    Column("location_id", String(ID)),
    Column("departed_at", UTC_TIME),
    Column("updated_at", UTC_TIME),
    # The ledger seq of the projection pass that last wrote this row: the scoped pull
    # asks for rows changed since a device's cursor (services.reads).
    Column("changed_seq", BigInteger, nullable=False, server_default="0"),
)

households = Table(
    "households", metadata,
    Column("household_id", String(ID), primary_key=True),
    Column("gathering_point_id", String(ID), nullable=False),
    Column("token", String(40), unique=True),
    Column("registered_at", UTC_TIME, nullable=False),
    Column("device_id", String(ID), nullable=False),
    # The ledger seq of the projection pass that last wrote this row: the scoped pull
    # asks for rows changed since a device's cursor (services.reads).
    Column("changed_seq", BigInteger, nullable=False, server_default="0"),
)

persons = Table(
    "persons", metadata,
    Column("person_id", String(ID), primary_key=True),
    Column("household_id", String(ID), nullable=False, index=True),
    Column("position", Integer, nullable=False),  # order within the household, as entered
    Column("given_name", String(120), nullable=False),
    Column("father_name", String(120)),
    Column("family_name", String(120)),
    Column("sex", String(10), nullable=False),
    Column("birth_year", Integer),
    Column("birth_year_estimated", Boolean, nullable=False),
    Column("consent", Boolean, nullable=False),
    Column("destination_id", String(ID)),
    Column("status", String(20), nullable=False, index=True),
    Column("vehicle_id", String(ID), index=True),
    Column("location_id", String(ID)),
    Column("removal_reason", String(20)),
    Column("removed_by", Text),
    Column("registered_at", UTC_TIME),
    Column("status_at", UTC_TIME),
    Column("merged_into", String(ID)),  # a duplicate record: left out of every count
    # The ledger seq of the projection pass that last wrote this row: the scoped pull
    # asks for rows changed since a device's cursor (services.reads).
    Column("changed_seq", BigInteger, nullable=False, server_default="0"),
)
Index("ix_persons_changed_seq", persons.c.changed_seq)

person_needs = Table(
    "person_needs", metadata,
    Column("person_id", String(ID), ForeignKey("persons.person_id"), primary_key=True),
    Column("need", String(30), primary_key=True),
)

passages = Table(
    "passages", metadata,
    Column("convoy_id", String(ID), primary_key=True),
    Column("vehicle_id", String(ID), primary_key=True),
    Column("checkpoint_id", String(ID), primary_key=True),
    Column("headcount", Integer, nullable=False),
    Column("on_board_before", Integer, nullable=False),
    Column("passed_at", UTC_TIME, nullable=False),
)

alerts = Table(
    "alerts", metadata,
    Column("alert_id", String(ALERT_ID_LENGTH), primary_key=True),
    Column("kind", String(30), nullable=False),
    Column("status", String(10), nullable=False, index=True),
    Column("vehicle_id", String(ID)),
    Column("convoy_id", String(ID)),
    Column("location_id", String(ID)),
    Column("expected", Integer, nullable=False),
    Column("counted", Integer, nullable=False),
    Column("missing", Integer, nullable=False),
    Column("person_ids", JSON, nullable=False),
    Column("opened_at", UTC_TIME, nullable=False),
    Column("resolved_at", UTC_TIME),
    Column("resolved_by", String(ID)),
    Column("resolution", Text),
    Column("resolved_pushed_by", String(ID)),  # the account that pushed the resolution
    # The facts that account for it: [{event_id, type, person_id, location_id}]
    Column("explained_by", JSON, nullable=False),
    Column("explained_at", UTC_TIME),
)

incidents = Table(
    "incidents", metadata,
    Column("incident_id", String(ID), primary_key=True),
    Column("type", String(20), nullable=False),
    Column("occurred_at", UTC_TIME, nullable=False),
    Column("location_id", String(ID)),
    Column("convoy_id", String(ID)),
    Column("vehicle_id", String(ID)),
    Column("killed", Integer, nullable=False),
    Column("injured", Integer, nullable=False),
    Column("reported_by", String(120), nullable=False),
    Column("description", Text, nullable=False),
    Column("recorded_by", String(ID), nullable=False),  # the device's author
    Column("pushed_by", String(ID), nullable=False),  # the account the server took it from
)

conflicts = Table(
    "conflicts", metadata,
    Column("event_id", String(36), primary_key=True),
    Column("seq", BigInteger, nullable=False),
    Column("event_type", String(40), nullable=False),
    Column("reason", Text, nullable=False),
    Column("applied", Boolean, nullable=False),
    Column("waiting", Boolean, nullable=False),  # refused until what it names is recorded
)

tracing_requests = Table(
    "tracing_requests", metadata,
    Column("request_id", String(ID), primary_key=True),
    Column("name", String(120), nullable=False),
    Column("sex", String(10)),
    Column("born", Integer),
    Column("tolerance", Integer, nullable=False),
    Column("origin", String(ID)),
    Column("father_name", String(120)),
    Column("household_names", JSON, nullable=False),
    Column("requester_name", String(120), nullable=False),
    Column("relationship", String(120), nullable=False),
    Column("contact", Text, nullable=False),
    Column("consent", Boolean, nullable=False),
    Column("note", Text, nullable=False),
    Column("filed_at", UTC_TIME, nullable=False),
    Column("filed_by", String(ID), nullable=False),
    Column("filed_pushed_by", String(ID), nullable=False),  # the account that pushed it
    Column("status", String(10), nullable=False, index=True),
    Column("outcome", String(20)),
    Column("found_person_id", String(ID)),
    Column("closed_at", UTC_TIME),
    Column("closed_by", String(ID)),
    Column("closing_note", Text),
    Column("closed_pushed_by", String(ID)),
)

tracing_reviews = Table(
    "tracing_reviews", metadata,
    Column("request_id", String(ID), primary_key=True),
    Column("person_id", String(ID), primary_key=True),
    Column("decision", String(20), nullable=False),
    Column("note", Text, nullable=False),
    Column("reviewed_at", UTC_TIME, nullable=False),
    Column("reviewed_by", String(ID), nullable=False),
    Column("reviewed_pushed_by", String(ID), nullable=False),
)

duplicate_reviews = Table(
    "duplicate_reviews", metadata,
    Column("person_id", String(ID), primary_key=True),
    Column("other_id", String(ID), primary_key=True),
    Column("decision", String(20), nullable=False),
    Column("note", Text, nullable=False),
    Column("decided_at", UTC_TIME, nullable=False),
    Column("decided_by", String(ID), nullable=False),
    Column("decided_pushed_by", String(ID), nullable=False),
)

# Projection tables in the order they are cleared and refilled.
PROJECTIONS = (operation, parties, locations, routes, vehicles, convoys, households,
               person_needs, persons, passages, alerts, incidents, conflicts, tracing_requests,
               tracing_reviews, duplicate_reviews)

# --- access -----------------------------------------------------------------------------

users = Table(
    "users", metadata,
    Column("username", String(ID), primary_key=True),
    Column("role", String(30), nullable=False),
    Column("password_hash", Text, nullable=False),
    Column("active", Boolean, nullable=False),
    Column("created_at", UTC_TIME, nullable=False),
    # Where a field account is stationed (a location id): a registrar's gathering point,
    # a monitor's checkpoint, reception's reception. It decides what the account reads.
    Column("post_id", String(ID)),
)

api_tokens = Table(
    "api_tokens", metadata,
    Column("token_hash", String(64), primary_key=True),  # SHA-256: the token itself is never stored
    Column("username", String(ID), ForeignKey("users.username"), nullable=False),
    Column("label", String(120), nullable=False),  # e.g. the device it was issued to
    Column("created_at", UTC_TIME, nullable=False),
    Column("revoked", Boolean, nullable=False),
    Column("expires_at", UTC_TIME, nullable=False),
    Column("last_used_at", UTC_TIME),  # written at most once a minute (access.TOUCH_EVERY)
)
Index("ix_api_tokens_username", api_tokens.c.username)

# The field app's stores, one per sign-in on a phone (its IndexedDB database), as each
# last reported itself: a new store of an account learns of the earlier ones that
# stopped reporting, and whether they still held unsent events (the lost-store alarm).
devices = Table(
    "devices", metadata,
    Column("store_id", String(36), primary_key=True),
    Column("username", String(ID), ForeignKey("users.username"), nullable=False),
    Column("device_id", String(ID), nullable=False),
    Column("created_at", UTC_TIME, nullable=False),  # its first report
    Column("reported_at", UTC_TIME, nullable=False),
    Column("unsent", Integer, nullable=False),
    Column("oldest_unsent_at", String(40)),  # the phone's clock, as it sent it
    Column("newest_recorded_at", String(40)),
    Column("closed", Boolean, nullable=False),  # signed out on the phone
)
Index("ix_devices_username", devices.c.username)

# Web sessions: the signed cookie carries a random id; only its SHA-256 is kept here,
# so deleting the row ends the session wherever a copy of the cookie is.
sessions = Table(
    "sessions", metadata,
    Column("session_hash", String(64), primary_key=True),
    Column("username", String(ID), ForeignKey("users.username"), nullable=False),
    Column("created_at", UTC_TIME, nullable=False),  # absolute expiry counts from here
    Column("last_seen_at", UTC_TIME, nullable=False),  # idle expiry counts from here
)
Index("ix_sessions_username", sessions.c.username)

# The audit log's head, locked by every writer so its chain has one head; apart from
# `ledger_meta`, so recording a read never waits for a push.
audit_meta = Table(
    "audit_meta", metadata,
    Column("id", Integer, primary_key=True),
    Column("head_id", BigInteger, nullable=False),
    Column("head_chain", String(64), nullable=False),
)

audit_log = Table(
    "audit_log", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),  # 1, 2, 3…: no gaps
    Column("at", UTC_TIME, nullable=False),
    Column("username", String(ID), nullable=False),
    Column("action", String(60), nullable=False),
    Column("subject", Text, nullable=False),
    Column("why", Text, nullable=False, server_default=""),
    Column("everyone", Boolean, nullable=False, server_default=false()),  # the whole registry
    Column("chain", String(64), nullable=False),
)
Index("ix_audit_log_username_at", audit_log.c.username, audit_log.c.at)

# One row per counted attempt (a search, a failed login), shared by every server
# process; `services/limits.py` counts them and deletes those past their window.
limit_hits = Table(
    "limit_hits", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("key", String(200), nullable=False),  # e.g. "names:amal", "login-address:10.0.0.7"
    Column("at", UTC_TIME, nullable=False),
)
Index("ix_limit_hits_key_at", limit_hits.c.key, limit_hits.c.at)
Index("ix_audit_log_everyone", audit_log.c.everyone, audit_log.c.id)

# The people each read showed, so "who looked at this person" is one indexed query.
audit_subjects = Table(
    "audit_subjects", metadata,
    Column("person_id", String(ID), primary_key=True),
    Column("audit_id", Integer, ForeignKey("audit_log.id"), primary_key=True),
)

# The illustrative demo's events not yet pushed, in story order (each as the push API
# takes it, JSON), and the moment the demo stands at (services.rehearsal).
demo_pending = Table(
    "demo_pending", metadata,
    Column("position", Integer, primary_key=True, autoincrement=False),
    Column("recorded_at", String(40), nullable=False),  # UTC text, as the ledger keeps it
    Column("event", Text, nullable=False),
)
Index("ix_demo_pending_recorded_at", demo_pending.c.recorded_at)
demo_clock = Table(
    "demo_clock", metadata,
    Column("id", Integer, primary_key=True),
    Column("stands_at", String(40), nullable=False),
)
