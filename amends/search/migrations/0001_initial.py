"""The search index: one document per request, kept by the database in the transaction of every write.

A request's document is its reference, subject and body, its customer's messages (email replies that joined it,
messages written in the portal) and who it is from (contact name and email, account name). SQLite keeps it in an
FTS5 table (rowid = the request's id), PostgreSQL in a table whose weighted tsvector is a generated column under a
GIN index. Both use the same word rules: words are runs of letters and digits (an email address is three words),
case-folded, never stemmed ('simple' on PostgreSQL, unicode61 on SQLite): customers write in English and German,
and names, addresses, references and product codes must be found as typed.

Triggers keep it current, because the document spans four tables written on many paths (intake, mail in, the
portal, the admin, the API, the bench's plain-row builder, bulk UPDATEs) and two of those tables belong to
`customers`, which sits below the desk: its services cannot call the desk's code without turning the layers
around. The database updates the document in the same statement's transaction as the change, whatever made it
(desk 0005 kept the agents' open load the same way, until desk 0008 made that count unnecessary). The migration
indexes the requests that exist.
"""

from django.db import migrations

# The document of the requests `WHERE {where}` (t: desk_ticket). Customer messages: email that joined the
# request (the one that created it is its body) and what the customer wrote in the portal.
SQLITE_DOCUMENT = """
SELECT t.id, 'AM-' || t.id, t.subject, t.body,
       COALESCE((SELECT group_concat(m, ' ') FROM (
           SELECT CASE WHEN i.reply_text <> '' THEN i.reply_text ELSE i.text END AS m
           FROM mail_inboundmessage i WHERE i.ticket_id = t.id AND i.outcome = 'joined'
           UNION ALL
           SELECT e.message FROM core_event e WHERE e.ticket_id = t.id AND e.kind = 'customer_message')), ''),
       COALESCE(c.name, '') || ' ' || COALESCE(c.email, '') || ' ' || a.name
FROM desk_ticket t JOIN customers_account a ON a.id = t.account_id LEFT JOIN customers_contact c ON c.id = t.contact_id
WHERE {where}
"""


def sqlite_refresh(where: str, tickets: str) -> str:
    """Statements that rewrite the documents of the requests `WHERE {where}`; `tickets` selects their ids."""
    return (
        f"DELETE FROM search_ticket WHERE rowid IN ({tickets});\n"
        "INSERT INTO search_ticket (rowid, reference, subject, body, messages, customer)"
        + SQLITE_DOCUMENT.format(where=where) + ";"
    )


SQLITE = [
    """CREATE VIRTUAL TABLE search_ticket USING fts5(
        reference, subject, body, messages, customer, tokenize = 'unicode61 remove_diacritics 2'
    )""",
    f"""CREATE TRIGGER search_ticket_insert AFTER INSERT ON desk_ticket BEGIN
        {sqlite_refresh("t.id = NEW.id", "NEW.id")}
    END""",
    f"""CREATE TRIGGER search_ticket_update AFTER UPDATE OF subject, body, account_id, contact_id ON desk_ticket
    WHEN OLD.subject IS NOT NEW.subject OR OLD.body IS NOT NEW.body OR OLD.account_id IS NOT NEW.account_id
        OR OLD.contact_id IS NOT NEW.contact_id BEGIN
        {sqlite_refresh("t.id = NEW.id", "NEW.id")}
    END""",
    "CREATE TRIGGER search_ticket_delete AFTER DELETE ON desk_ticket BEGIN "
    "DELETE FROM search_ticket WHERE rowid = OLD.id; END",
    f"""CREATE TRIGGER search_inbound_insert AFTER INSERT ON mail_inboundmessage WHEN NEW.ticket_id IS NOT NULL BEGIN
        {sqlite_refresh("t.id = NEW.ticket_id", "NEW.ticket_id")}
    END""",
    f"""CREATE TRIGGER search_inbound_update AFTER UPDATE OF ticket_id, outcome, text, reply_text ON mail_inboundmessage
    WHEN OLD.ticket_id IS NOT NEW.ticket_id OR OLD.outcome IS NOT NEW.outcome OR OLD.text IS NOT NEW.text
        OR OLD.reply_text IS NOT NEW.reply_text BEGIN
        {sqlite_refresh("t.id IN (OLD.ticket_id, NEW.ticket_id)", "OLD.ticket_id, NEW.ticket_id")}
    END""",
    f"""CREATE TRIGGER search_inbound_delete AFTER DELETE ON mail_inboundmessage WHEN OLD.ticket_id IS NOT NULL BEGIN
        {sqlite_refresh("t.id = OLD.ticket_id", "OLD.ticket_id")}
    END""",
    f"""CREATE TRIGGER search_event_insert AFTER INSERT ON core_event
    WHEN NEW.kind = 'customer_message' AND NEW.ticket_id IS NOT NULL BEGIN
        {sqlite_refresh("t.id = NEW.ticket_id", "NEW.ticket_id")}
    END""",
    f"""CREATE TRIGGER search_contact_update AFTER UPDATE OF name, email ON customers_contact
    WHEN OLD.name IS NOT NEW.name OR OLD.email IS NOT NEW.email BEGIN
        {sqlite_refresh("t.contact_id = NEW.id", "SELECT id FROM desk_ticket WHERE contact_id = NEW.id")}
    END""",
    f"""CREATE TRIGGER search_account_update AFTER UPDATE OF name ON customers_account
    WHEN OLD.name IS NOT NEW.name BEGIN
        {sqlite_refresh("t.account_id = NEW.id", "SELECT id FROM desk_ticket WHERE account_id = NEW.id")}
    END""",
    "INSERT INTO search_ticket (rowid, reference, subject, body, messages, customer)"
    + SQLITE_DOCUMENT.format(where="1"),
]
SQLITE_DROP = [
    f"DROP TRIGGER IF EXISTS {name}" for name in (
        "search_ticket_insert", "search_ticket_update", "search_ticket_delete", "search_inbound_insert",
        "search_inbound_update", "search_inbound_delete", "search_event_insert", "search_contact_update",
        "search_account_update",
    )
] + ["DROP TABLE IF EXISTS search_ticket"]

# Punctuation becomes a space before PostgreSQL's parser reads the text, so that it finds the words SQLite's
# tokenizer finds (its parser would keep an email address or "AM-12" whole).
_WORDS = "regexp_replace(coalesce({0}, ''), '[[:punct:]]+', ' ', 'g')"
POSTGRESQL = [
    f"""CREATE TABLE search_ticket (
        ticket_id bigint PRIMARY KEY,
        reference text NOT NULL,
        subject text NOT NULL,
        body text NOT NULL,
        messages text NOT NULL,
        customer text NOT NULL,
        document tsvector GENERATED ALWAYS AS (
            setweight(to_tsvector('simple'::regconfig, {_WORDS.format("reference")} || ' ' || {_WORDS.format("subject")}), 'A')
            || setweight(to_tsvector('simple'::regconfig, {_WORDS.format("customer")}), 'B')
            || setweight(to_tsvector('simple'::regconfig, {_WORDS.format("body")} || ' ' || {_WORDS.format("messages")}), 'D')
        ) STORED
    )""",
    "CREATE INDEX search_ticket_document ON search_ticket USING gin (document)",
    """CREATE FUNCTION search_ticket_refresh(ids bigint[]) RETURNS void LANGUAGE sql AS $$
        DELETE FROM search_ticket WHERE ticket_id = ANY(ids) AND NOT EXISTS (
            SELECT 1 FROM desk_ticket t WHERE t.id = search_ticket.ticket_id);
        INSERT INTO search_ticket (ticket_id, reference, subject, body, messages, customer)
        SELECT t.id, 'AM-' || t.id, t.subject, t.body,
               coalesce((SELECT string_agg(m, ' ') FROM (
                   SELECT CASE WHEN i.reply_text <> '' THEN i.reply_text ELSE i.text END AS m
                   FROM mail_inboundmessage i WHERE i.ticket_id = t.id AND i.outcome = 'joined'
                   UNION ALL
                   SELECT e.message FROM core_event e WHERE e.ticket_id = t.id AND e.kind = 'customer_message') ms), ''),
               coalesce(c.name, '') || ' ' || coalesce(c.email, '') || ' ' || a.name
        FROM desk_ticket t JOIN customers_account a ON a.id = t.account_id
        LEFT JOIN customers_contact c ON c.id = t.contact_id
        WHERE t.id = ANY(ids)
        ON CONFLICT (ticket_id) DO UPDATE SET reference = EXCLUDED.reference, subject = EXCLUDED.subject,
            body = EXCLUDED.body, messages = EXCLUDED.messages, customer = EXCLUDED.customer;
    $$""",
    """CREATE FUNCTION search_ticket_changed() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_TABLE_NAME = 'desk_ticket' THEN
            IF TG_OP = 'DELETE' THEN DELETE FROM search_ticket WHERE ticket_id = OLD.id;
            ELSE PERFORM search_ticket_refresh(ARRAY[NEW.id]); END IF;
        ELSIF TG_TABLE_NAME = 'customers_contact' THEN
            PERFORM search_ticket_refresh(ARRAY(SELECT id FROM desk_ticket WHERE contact_id = NEW.id));
        ELSIF TG_TABLE_NAME = 'customers_account' THEN
            PERFORM search_ticket_refresh(ARRAY(SELECT id FROM desk_ticket WHERE account_id = NEW.id));
        ELSIF TG_OP = 'INSERT' THEN
            PERFORM search_ticket_refresh(ARRAY[NEW.ticket_id]);
        ELSIF TG_OP = 'DELETE' THEN
            PERFORM search_ticket_refresh(ARRAY[OLD.ticket_id]);
        ELSE
            PERFORM search_ticket_refresh(ARRAY[OLD.ticket_id, NEW.ticket_id]);
        END IF;
        RETURN NULL;
    END $$""",
    "CREATE TRIGGER search_ticket_insert AFTER INSERT ON desk_ticket FOR EACH ROW "
    "EXECUTE FUNCTION search_ticket_changed()",
    """CREATE TRIGGER search_ticket_update AFTER UPDATE OF subject, body, account_id, contact_id ON desk_ticket
    FOR EACH ROW WHEN (OLD.subject IS DISTINCT FROM NEW.subject OR OLD.body IS DISTINCT FROM NEW.body
                       OR OLD.account_id IS DISTINCT FROM NEW.account_id OR OLD.contact_id IS DISTINCT FROM NEW.contact_id)
    EXECUTE FUNCTION search_ticket_changed()""",
    "CREATE TRIGGER search_ticket_delete AFTER DELETE ON desk_ticket FOR EACH ROW "
    "EXECUTE FUNCTION search_ticket_changed()",
    "CREATE TRIGGER search_inbound_insert AFTER INSERT ON mail_inboundmessage FOR EACH ROW "
    "WHEN (NEW.ticket_id IS NOT NULL) EXECUTE FUNCTION search_ticket_changed()",
    """CREATE TRIGGER search_inbound_update AFTER UPDATE OF ticket_id, outcome, text, reply_text ON mail_inboundmessage
    FOR EACH ROW WHEN (OLD.ticket_id IS DISTINCT FROM NEW.ticket_id OR OLD.outcome IS DISTINCT FROM NEW.outcome
                       OR OLD.text IS DISTINCT FROM NEW.text OR OLD.reply_text IS DISTINCT FROM NEW.reply_text)
    EXECUTE FUNCTION search_ticket_changed()""",
    "CREATE TRIGGER search_inbound_delete AFTER DELETE ON mail_inboundmessage FOR EACH ROW "
    "WHEN (OLD.ticket_id IS NOT NULL) EXECUTE FUNCTION search_ticket_changed()",
    "CREATE TRIGGER search_event_insert AFTER INSERT ON core_event FOR EACH ROW "
    "WHEN (NEW.kind = 'customer_message' AND NEW.ticket_id IS NOT NULL) EXECUTE FUNCTION search_ticket_changed()",
    """CREATE TRIGGER search_contact_update AFTER UPDATE OF name, email ON customers_contact FOR EACH ROW
    WHEN (OLD.name IS DISTINCT FROM NEW.name OR OLD.email IS DISTINCT FROM NEW.email)
    EXECUTE FUNCTION search_ticket_changed()""",
    """CREATE TRIGGER search_account_update AFTER UPDATE OF name ON customers_account FOR EACH ROW
    WHEN (OLD.name IS DISTINCT FROM NEW.name) EXECUTE FUNCTION search_ticket_changed()""",
    "SELECT search_ticket_refresh(ARRAY(SELECT id FROM desk_ticket))",
]
POSTGRESQL_DROP = [
    "DROP TRIGGER IF EXISTS search_ticket_insert ON desk_ticket",
    "DROP TRIGGER IF EXISTS search_ticket_update ON desk_ticket",
    "DROP TRIGGER IF EXISTS search_ticket_delete ON desk_ticket",
    "DROP TRIGGER IF EXISTS search_inbound_insert ON mail_inboundmessage",
    "DROP TRIGGER IF EXISTS search_inbound_update ON mail_inboundmessage",
    "DROP TRIGGER IF EXISTS search_inbound_delete ON mail_inboundmessage",
    "DROP TRIGGER IF EXISTS search_event_insert ON core_event",
    "DROP TRIGGER IF EXISTS search_contact_update ON customers_contact",
    "DROP TRIGGER IF EXISTS search_account_update ON customers_account",
    "DROP FUNCTION IF EXISTS search_ticket_changed()",
    "DROP FUNCTION IF EXISTS search_ticket_refresh(bigint[])",
    "DROP TABLE IF EXISTS search_ticket",
]


def _run(schema_editor, statements) -> None:
    with schema_editor.connection.cursor() as cursor:
        for statement in statements:
            cursor.execute(statement)


def index_create(apps, schema_editor) -> None:
    """The table, the triggers, and the documents of the requests already there."""
    _run(schema_editor, POSTGRESQL if schema_editor.connection.vendor == "postgresql" else SQLITE)


def index_drop(apps, schema_editor) -> None:
    _run(schema_editor, POSTGRESQL_DROP if schema_editor.connection.vendor == "postgresql" else SQLITE_DROP)


class Migration(migrations.Migration):

    dependencies = [
        ("core", "0012_outbox_gave_up"),
        ("customers", "0003_contact_language"),
        ("desk", "0015_promise_broken_index"),
        ("mail", "0002_inbound_ticket"),
    ]

    operations = [
        migrations.RunPython(index_create, index_drop),
    ]
