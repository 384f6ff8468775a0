"""Each agent's count of open requests (`people_agent.open_load`) and when they were last given one
(`last_assigned_at`, intake's round robin), kept by the database.

Intake picks the least-loaded available member of a team. Counting each member's open requests for
every new one read every open request of the team (and more as a busy agent's pile grew); a counter
reads one row. Triggers keep it, rather than each service, so that no path that changes a request's
owner or state (services, the watchdog's batches, the admin, a bulk UPDATE) can let it drift: the
count changes in the same statement's transaction as the request. A request is open unless it is
resolved or closed (`CLOSED_STATES`, the `live` column). An open request that comes to an agent as a
new owner (intake, assignment, hand-over, escalation) stamps their `last_assigned_at` with its
`assigned_at`; a reopened one does not.
"""

from django.db import migrations

CLOSED = "('resolved', 'closed')"

POSTGRESQL = f"""
CREATE FUNCTION amends_open_load() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    was integer := NULL;
    now_ integer := NULL;
BEGIN
    IF TG_OP <> 'INSERT' AND OLD.state NOT IN {CLOSED} THEN was := OLD.owner_id; END IF;
    IF TG_OP <> 'DELETE' AND NEW.state NOT IN {CLOSED} THEN now_ := NEW.owner_id; END IF;
    IF was IS DISTINCT FROM now_ THEN
        IF was IS NOT NULL THEN UPDATE people_agent SET open_load = open_load - 1 WHERE user_id = was; END IF;
        IF now_ IS NOT NULL THEN
            UPDATE people_agent SET open_load = open_load + 1,
                last_assigned_at = CASE WHEN TG_OP = 'INSERT' OR OLD.owner_id IS DISTINCT FROM NEW.owner_id
                                        THEN COALESCE(NEW.assigned_at, last_assigned_at) ELSE last_assigned_at END
            WHERE user_id = now_;
        END IF;
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER desk_ticket_open_load_insert AFTER INSERT ON desk_ticket FOR EACH ROW
    WHEN (NEW.owner_id IS NOT NULL AND NEW.state NOT IN {CLOSED}) EXECUTE FUNCTION amends_open_load();
CREATE TRIGGER desk_ticket_open_load_update AFTER UPDATE OF owner_id, state ON desk_ticket FOR EACH ROW
    WHEN (OLD.owner_id IS DISTINCT FROM NEW.owner_id OR OLD.state IS DISTINCT FROM NEW.state)
    EXECUTE FUNCTION amends_open_load();
CREATE TRIGGER desk_ticket_open_load_delete AFTER DELETE ON desk_ticket FOR EACH ROW
    WHEN (OLD.owner_id IS NOT NULL AND OLD.state NOT IN {CLOSED}) EXECUTE FUNCTION amends_open_load();
"""

POSTGRESQL_DROP = """
DROP TRIGGER IF EXISTS desk_ticket_open_load_insert ON desk_ticket;
DROP TRIGGER IF EXISTS desk_ticket_open_load_update ON desk_ticket;
DROP TRIGGER IF EXISTS desk_ticket_open_load_delete ON desk_ticket;
DROP FUNCTION IF EXISTS amends_open_load();
"""

SQLITE = [
    f"""CREATE TRIGGER desk_ticket_open_load_insert AFTER INSERT ON desk_ticket
    WHEN NEW.owner_id IS NOT NULL AND NEW.state NOT IN {CLOSED}
    BEGIN
        UPDATE people_agent SET open_load = open_load + 1, last_assigned_at = COALESCE(NEW.assigned_at, last_assigned_at)
        WHERE user_id = NEW.owner_id;
    END""",
    f"""CREATE TRIGGER desk_ticket_open_load_update AFTER UPDATE OF owner_id, state ON desk_ticket
    WHEN OLD.owner_id IS NOT NEW.owner_id OR (OLD.state IN {CLOSED}) IS NOT (NEW.state IN {CLOSED})
    BEGIN
        UPDATE people_agent SET open_load = open_load - 1 WHERE user_id = OLD.owner_id AND OLD.state NOT IN {CLOSED};
        UPDATE people_agent SET open_load = open_load + 1,
            last_assigned_at = CASE WHEN OLD.owner_id IS NOT NEW.owner_id THEN COALESCE(NEW.assigned_at, last_assigned_at)
                                    ELSE last_assigned_at END
        WHERE user_id = NEW.owner_id AND NEW.state NOT IN {CLOSED};
    END""",
    f"""CREATE TRIGGER desk_ticket_open_load_delete AFTER DELETE ON desk_ticket
    WHEN OLD.owner_id IS NOT NULL AND OLD.state NOT IN {CLOSED}
    BEGIN UPDATE people_agent SET open_load = open_load - 1 WHERE user_id = OLD.owner_id; END""",
]

SQLITE_DROP = [
    "DROP TRIGGER IF EXISTS desk_ticket_open_load_insert",
    "DROP TRIGGER IF EXISTS desk_ticket_open_load_update",
    "DROP TRIGGER IF EXISTS desk_ticket_open_load_delete",
]

COUNT = f"""
UPDATE people_agent SET open_load = (
    SELECT COUNT(*) FROM desk_ticket t WHERE t.owner_id = people_agent.user_id AND t.state NOT IN {CLOSED}
)
"""


def _run(schema_editor, statements) -> None:
    with schema_editor.connection.cursor() as cursor:
        for statement in statements:
            cursor.execute(statement)


def triggers_create(apps, schema_editor) -> None:
    vendor = schema_editor.connection.vendor
    _run(schema_editor, [POSTGRESQL] if vendor == "postgresql" else SQLITE)
    _run(schema_editor, [COUNT])  # what is open now


def triggers_drop(apps, schema_editor) -> None:
    _run(schema_editor, [POSTGRESQL_DROP] if schema_editor.connection.vendor == "postgresql" else SQLITE_DROP)


class Migration(migrations.Migration):

    dependencies = [
        ("desk", "0004_fewer_index_entries"),
        ("people", "0002_agent_open_load"),
    ]

    operations = [
        migrations.RunPython(triggers_create, triggers_drop),
    ]
