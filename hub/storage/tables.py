"""The database schema, as SQLAlchemy Core tables. Migrations create it; this module describes it.

Conventions, so every table reads the same on SQLite and PostgreSQL:

* Times are Unix epoch seconds in ``DOUBLE`` columns named ``*_ts``, like the events' own timestamps:
  no time-zone conversions, and ordering and arithmetic work the same on both databases.
* Money is ``NUMERIC(14, 2)`` and comes back as :class:`decimal.Decimal`, never a float.
* Free-form extras live in a ``data``/``detail``/``payload`` JSON column (``JSONB`` on PostgreSQL).
* Constraint and index names follow :data:`NAMING_CONVENTION`, so migrations can refer to them.

``events`` holds every event the bus accepted, once: ``UNIQUE(platform, message_id)`` where
``message_id`` is :attr:`hub.events.Event.dedup_key` (the platform's message id, or the event's own id
when the platform gave none), so a redelivered comment is stored once. ``payload`` is
:func:`hub.events.to_dict` of the event, enough to rebuild it with :func:`hub.events.from_dict`.

APScheduler keeps its own tables; ``schedules`` holds only the hub's metadata about them. ``shows`` holds
the rundowns defined through the API (the show runner; shows in TOML files stay in their files).
``connector_cursors`` holds each platform connector's resume cursor (:mod:`hub.resume`).
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

metadata = sa.MetaData(naming_convention=NAMING_CONVENTION)

# BIGINT ids on PostgreSQL; on SQLite only INTEGER PRIMARY KEY is the auto-incrementing rowid.
BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
Json = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
Money = sa.Numeric(14, 2, asdecimal=True)
Timestamp = sa.Double()


def _id() -> sa.Column:
    return sa.Column("id", BigId, primary_key=True, autoincrement=True)


events = sa.Table(
    "events", metadata,
    _id(),
    sa.Column("event_id", sa.String(), nullable=False),
    sa.Column("type", sa.String(32), nullable=False),
    sa.Column("platform", sa.String(64), nullable=False),
    sa.Column("room", sa.String(), nullable=False),
    sa.Column("user_id", sa.String()),
    sa.Column("user_name", sa.String()),
    sa.Column("message_id", sa.String(), nullable=False),
    sa.Column("platform_ts", Timestamp),
    sa.Column("received_ts", Timestamp, nullable=False),
    sa.Column("payload", Json, nullable=False),
    sa.UniqueConstraint("platform", "message_id"),
    sa.Index(None, "room", "received_ts"),
    sa.Index(None, "type", "received_ts"),
)

shops = sa.Table(
    "shops", metadata,
    sa.Column("id", sa.String(), primary_key=True),
    sa.Column("name", sa.String(), nullable=False),
    sa.Column("platform", sa.String(64)),
    sa.Column("currency", sa.String(3), nullable=False, server_default="CNY"),
    sa.Column("data", Json),
    sa.Column("created_ts", Timestamp, nullable=False),
    sa.Column("updated_ts", Timestamp, nullable=False),
)

products = sa.Table(
    "products", metadata,
    _id(),
    sa.Column("shop", sa.String(), sa.ForeignKey("shops.id", ondelete="CASCADE"), nullable=False),
    sa.Column("sku", sa.String(), nullable=False),
    sa.Column("name", sa.String(), nullable=False),
    sa.Column("price", Money, nullable=False),
    sa.Column("promo_price", Money),
    sa.Column("stock", sa.Integer()),
    sa.Column("active", sa.Boolean(), nullable=False, server_default=sa.true()),
    sa.Column("data", Json),
    sa.Column("updated_ts", Timestamp, nullable=False),
    sa.UniqueConstraint("shop", "sku"),
)

viewers = sa.Table(
    "viewers", metadata,
    _id(),
    sa.Column("platform", sa.String(64), nullable=False),
    sa.Column("user_id", sa.String(), nullable=False),
    sa.Column("name", sa.String(), nullable=False),
    sa.Column("first_seen_ts", Timestamp, nullable=False),
    sa.Column("last_seen_ts", Timestamp, nullable=False),
    sa.Column("data", Json),
    sa.UniqueConstraint("platform", "user_id"),
)

contacts = sa.Table(
    "contacts", metadata,
    _id(),
    sa.Column("viewer_id", BigId, sa.ForeignKey("viewers.id", ondelete="SET NULL")),
    sa.Column("kind", sa.String(32), nullable=False),  # phone, email, wechat, crm, ...
    sa.Column("value", sa.String(), nullable=False),
    sa.Column("name", sa.String(), nullable=False),
    sa.Column("source", sa.String(), nullable=False),
    sa.Column("consent", sa.Boolean(), nullable=False, server_default=sa.false()),
    sa.Column("data", Json),
    sa.Column("created_ts", Timestamp, nullable=False),
    sa.UniqueConstraint("kind", "value"),
)

rooms = sa.Table(
    "rooms", metadata,
    sa.Column("name", sa.String(), primary_key=True),  # the [rooms.<name>] key
    sa.Column("platform", sa.String(64)),
    sa.Column("platform_room_id", sa.String()),
    sa.Column("shop", sa.String(), sa.ForeignKey("shops.id", ondelete="SET NULL")),
    sa.Column("title", sa.String(), nullable=False),
    sa.Column("data", Json),
    sa.Column("created_ts", Timestamp, nullable=False),
    sa.Column("updated_ts", Timestamp, nullable=False),
)

broadcasts = sa.Table(
    "broadcasts", metadata,
    _id(),
    sa.Column("room", sa.String(), nullable=False),
    sa.Column("title", sa.String(), nullable=False),
    sa.Column("status", sa.String(16), nullable=False, server_default="planned"),  # planned/live/ended
    sa.Column("planned_ts", Timestamp),
    sa.Column("started_ts", Timestamp),
    sa.Column("ended_ts", Timestamp),
    sa.Column("data", Json),
    sa.Index(None, "room", "started_ts"),
)

recordings = sa.Table(  # a room's frames recorded to a file: what live clips are cut from (hub/recordings.py)
    "recordings", metadata,
    _id(),
    sa.Column("room", sa.String(), nullable=False),
    sa.Column("path", sa.Text(), nullable=False),
    sa.Column("status", sa.String(16), nullable=False),  # recording, complete, failed
    sa.Column("started_ts", Timestamp, nullable=False),  # wall-clock time of the file's first frame
    sa.Column("ended_ts", Timestamp),
    sa.Column("seconds", sa.Float(), nullable=False),
    sa.Column("fps", sa.Integer(), nullable=False),
    sa.Column("width", sa.Integer(), nullable=False),
    sa.Column("height", sa.Integer(), nullable=False),
    sa.Column("data", Json, nullable=False),  # anchors (file seconds ↔ wall time), captions, cards on screen
    sa.Index(None, "room", "started_ts"),
)

cluster_nodes = sa.Table(  # the hub processes sharing this database (hub/cluster): who runs, how full, draining
    "cluster_nodes", metadata,
    sa.Column("node", sa.String(128), primary_key=True),
    sa.Column("role", sa.String(16), nullable=False),
    sa.Column("host", sa.String(), nullable=False),
    sa.Column("pid", sa.Integer(), nullable=False),
    sa.Column("url", sa.String(), nullable=False),  # its web server, for viewers of its rooms
    sa.Column("capacity", sa.Integer(), nullable=False),
    sa.Column("rooms", sa.Integer(), nullable=False),
    sa.Column("draining", sa.Boolean(), nullable=False),
    sa.Column("started_ts", Timestamp, nullable=False),
    sa.Column("heartbeat_ts", Timestamp, nullable=False),
)

room_leases = sa.Table(  # which process runs a room: a lease renewed while healthy, with a fencing token
    "room_leases", metadata,
    sa.Column("room", sa.String(), primary_key=True),
    sa.Column("owner", sa.String(128)),  # None: free
    sa.Column("token", sa.BigInteger(), nullable=False),  # +1 at every acquisition: the fencing token
    sa.Column("acquired_ts", Timestamp, nullable=False),
    sa.Column("expires_ts", Timestamp, nullable=False),
)

replies = sa.Table(
    "replies", metadata,
    _id(),
    sa.Column("event_id", sa.String(), nullable=False, unique=True),
    sa.Column("room", sa.String(), nullable=False),
    sa.Column("text", sa.Text(), nullable=False),
    sa.Column("kind", sa.String(32), nullable=False),
    sa.Column("channel", sa.String(16), nullable=False),
    sa.Column("source", sa.String(), nullable=False),
    sa.Column("answers", Json, nullable=False),
    sa.Column("created_ts", Timestamp, nullable=False),
    sa.Index(None, "room", "created_ts"),
)

schedules = sa.Table(
    "schedules", metadata,
    sa.Column("id", sa.String(), primary_key=True),  # the scheduler's schedule id
    sa.Column("job_type", sa.String(), nullable=False),
    sa.Column("args", Json, nullable=False),
    sa.Column("trigger", Json, nullable=False),
    sa.Column("room", sa.String()),
    sa.Column("description", sa.String(), nullable=False),
    sa.Column("enabled", sa.Boolean(), nullable=False, server_default=sa.true()),
    sa.Column("created_by", sa.String(), nullable=False),
    sa.Column("created_ts", Timestamp, nullable=False),
    sa.Column("updated_ts", Timestamp, nullable=False),
)

outbound_content = sa.Table(
    "outbound_content", metadata,
    _id(),
    sa.Column("room", sa.String()),
    sa.Column("kind", sa.String(32), nullable=False),  # script, pitch, post, caption, ...
    sa.Column("channel", sa.String(32), nullable=False),
    sa.Column("text", sa.Text(), nullable=False),
    sa.Column("status", sa.String(16), nullable=False, server_default="pending"),  # pending/sent/failed
    sa.Column("scheduled_ts", Timestamp),
    sa.Column("sent_ts", Timestamp),
    sa.Column("data", Json),
    sa.Column("created_ts", Timestamp, nullable=False),
    sa.Index(None, "status", "scheduled_ts"),
)

shows = sa.Table(
    "shows", metadata,
    sa.Column("name", sa.String(), primary_key=True),  # the show's name (a rundown defined by the API)
    sa.Column("room", sa.String()),  # the room it runs on by default
    sa.Column("rundown", Json, nullable=False),  # the validated rundown, as the API received it
    sa.Column("created_ts", Timestamp, nullable=False),
    sa.Column("updated_ts", Timestamp, nullable=False),
)

connector_cursors = sa.Table(
    "connector_cursors", metadata,
    sa.Column("connector", sa.String(), primary_key=True),  # the [connectors.<name>] key
    sa.Column("platform", sa.String(64), nullable=False),
    sa.Column("cursor", sa.Text(), nullable=False),  # where its feed resumes (message id, page token, ...)
    sa.Column("updated_ts", Timestamp, nullable=False),
)

crm_outbox = sa.Table(
    "crm_outbox", metadata,
    _id(),
    sa.Column("connector", sa.String(), nullable=False),  # the CRM connector that delivers it
    sa.Column("key", sa.String(), nullable=False),  # idempotency key: the same write is stored once
    sa.Column("op", sa.String(64), nullable=False),  # upsert_contact, add_note, upsert_deal, ...
    sa.Column("payload", Json, nullable=False),
    sa.Column("state", sa.String(16), nullable=False),  # pending, sent, failed, cancelled
    sa.Column("attempts", sa.Integer(), nullable=False, server_default="0"),
    sa.Column("last_error", sa.Text(), nullable=False),
    sa.Column("result", Json),  # what the CRM answered (its record id)
    sa.Column("created_ts", Timestamp, nullable=False),
    sa.Column("updated_ts", Timestamp, nullable=False),
    sa.Column("sent_ts", Timestamp),
    sa.Column("due_ts", Timestamp),  # held back until then (NULL: at once); withdrawn before it: cancelled
    sa.UniqueConstraint("connector", "key"),
    sa.Index(None, "connector", "state", "id"),
)

people = sa.Table(  # the built-in CRM's contacts: one row per person, across platforms
    "people", metadata,
    _id(),
    sa.Column("tenant", sa.String(80), nullable=False, default=""),  # hub/tenants.py ("": the operator's)
    sa.Column("name", sa.String(), nullable=False),
    sa.Column("email", sa.String()),
    sa.Column("phone", sa.String()),
    sa.Column("consent", sa.String(16), nullable=False),  # unknown, granted, refused
    sa.Column("merged_into", BigId),  # a person merged into another keeps its row, pointing there
    sa.Column("created_ts", Timestamp, nullable=False),
    sa.Column("updated_ts", Timestamp, nullable=False),
    sa.Index(None, "email"),
)

person_identities = sa.Table(  # a person's accounts: (platform, user id), e.g. ("douyin", "123")
    "person_identities", metadata,
    _id(),
    sa.Column("person_id", BigId, sa.ForeignKey("people.id", ondelete="CASCADE"), nullable=False),
    sa.Column("tenant", sa.String(80), nullable=False, default=""),  # its person's tenant
    sa.Column("platform", sa.String(64), nullable=False),
    sa.Column("user_id", sa.String(), nullable=False),
    sa.Column("created_ts", Timestamp, nullable=False),
    sa.UniqueConstraint("tenant", "platform", "user_id"),  # one account is a person per tenant
)

person_activities = sa.Table(  # a person's timeline: notes, deals, merges refused, ...
    "person_activities", metadata,
    _id(),
    sa.Column("person_id", BigId, sa.ForeignKey("people.id", ondelete="CASCADE"), nullable=False),
    sa.Column("kind", sa.String(32), nullable=False),
    sa.Column("text", sa.Text(), nullable=False),
    sa.Column("data", Json),
    sa.Column("ts", Timestamp, nullable=False),
    sa.Index(None, "person_id", "ts"),
)

segments = sa.Table(  # the built-in CRM's saved filters ("asked the price of X this week and did not buy")
    "segments", metadata,
    sa.Column("tenant", sa.String(80), primary_key=True, default=""),
    sa.Column("name", sa.String(), primary_key=True),
    sa.Column("definition", Json, nullable=False),
    sa.Column("created_ts", Timestamp, nullable=False),
    sa.Column("updated_ts", Timestamp, nullable=False),
)

room_decisions = sa.Table(  # what the room did with each viewer event: the post-show report's questions and drops
    "room_decisions", metadata,
    _id(),
    sa.Column("room", sa.String(), nullable=False),
    sa.Column("event_id", sa.String(), nullable=False),
    sa.Column("outcome", sa.String(16), nullable=False),  # answered, aggregated, dropped, blocked, ignored
    sa.Column("reason", sa.String(), nullable=False),
    sa.Column("intent", sa.String(32)),  # a question's intent, when the event was one
    sa.Column("sku", sa.String()),  # the product it was about
    sa.Column("asker", sa.String()),  # "<platform>:<user id>" of a question
    sa.Column("ts", Timestamp, nullable=False),
    sa.Index(None, "room", "ts"),
)

campaigns = sa.Table(  # outbound content campaigns: what to make, for whom, through which channels
    "campaigns", metadata,
    sa.Column("name", sa.String(), primary_key=True),
    sa.Column("definition", Json, nullable=False),
    sa.Column("created_ts", Timestamp, nullable=False),
    sa.Column("updated_ts", Timestamp, nullable=False),
)

campaign_runs = sa.Table(  # one run of a campaign: when, why, and what it made
    "campaign_runs", metadata,
    _id(),
    sa.Column("campaign", sa.String(), nullable=False),
    sa.Column("trigger", sa.String(), nullable=False),  # api, schedule, cli
    sa.Column("status", sa.String(16), nullable=False),  # running, done, failed
    sa.Column("counts", Json),
    sa.Column("error", sa.Text(), nullable=False),
    sa.Column("started_ts", Timestamp, nullable=False),
    sa.Column("finished_ts", Timestamp),
    sa.Index(None, "campaign", "id"),
)

campaign_items = sa.Table(  # a piece of content a run made: reviewed, approved or not, sent or not
    "campaign_items", metadata,
    _id(),
    sa.Column("run_id", BigId, nullable=False),
    sa.Column("campaign", sa.String(), nullable=False),
    sa.Column("cache_key", sa.String(), nullable=False),  # the same product+segment+template: made once
    sa.Column("kind", sa.String(32), nullable=False),
    sa.Column("channel", sa.String(64), nullable=False),
    sa.Column("sku", sa.String(), nullable=False),
    sa.Column("segment", sa.String(), nullable=False),
    sa.Column("variant", sa.String(8), nullable=False),
    sa.Column("content", Json, nullable=False),  # subject, body, source, price at generation
    sa.Column("state", sa.String(32), nullable=False),  # awaiting_approval, approved, blocked, rejected
    sa.Column("reasons", Json),
    sa.Column("decided_by", sa.String()),
    sa.Column("created_ts", Timestamp, nullable=False),
    sa.Column("decided_ts", Timestamp),
    sa.Index(None, "campaign", "state"),
    sa.Index(None, "cache_key"),
)

campaign_deliveries = sa.Table(  # an item sent to one person: once, with its tracked link and clicks
    "campaign_deliveries", metadata,
    _id(),
    sa.Column("item_id", BigId, nullable=False),
    sa.Column("campaign", sa.String(), nullable=False),
    sa.Column("person_id", BigId, nullable=False),
    sa.Column("channel", sa.String(64), nullable=False),
    sa.Column("key", sa.String(), nullable=False, unique=True),  # campaign, product, segment, channel, person
    sa.Column("token", sa.String(64), nullable=False, unique=True),  # /r/<token> and /u/<token>
    sa.Column("link", sa.Text(), nullable=False),
    sa.Column("state", sa.String(16), nullable=False),  # pending, sent, failed, deferred
    sa.Column("error", sa.Text(), nullable=False),
    sa.Column("clicks", sa.Integer(), nullable=False),
    sa.Column("created_ts", Timestamp, nullable=False),
    sa.Column("sent_ts", Timestamp),
    sa.Column("clicked_ts", Timestamp),
    sa.Index(None, "campaign", "state"),
)

audit_log = sa.Table(
    "audit_log", metadata,
    _id(),
    sa.Column("ts", Timestamp, nullable=False),
    sa.Column("actor", sa.String(), nullable=False),
    sa.Column("action", sa.String(), nullable=False),
    sa.Column("target", sa.String(), nullable=False),
    sa.Column("detail", Json),
    sa.Column("tenant", sa.String(80)),  # whose entry (hub/tenants.py); NULL: the operator's
    sa.Index(None, "ts"),
)

TABLE_NAMES: tuple[str, ...] = tuple(metadata.tables)
"""Every table the migrations create, in dependency order."""
