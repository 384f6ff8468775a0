"""Finding requests: the user's words made safe for the database's full-text engine, ranked, filtered, paged.

The index itself (one document per request, kept by the database in each write's transaction) is made by this
app's migration. A reference ("AM-5829", "#5829", "5829") finds that request first, then whatever mentions it.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, tzinfo
from typing import Any

from django.db import connection
from django.utils import timezone
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from amends.core.errors import DomainError
from amends.desk.models import CLOSED_STATES, Kind, State, Ticket

PAGE_SIZE = 25
# A common word can match most of a million requests; ranking all of them costs a read of each. The newest
# CANDIDATES matches (after the filters) are ranked instead: the cost is bounded whatever the word, and a search
# that needs older requests narrows itself with more words or a date filter.
CANDIDATES = 1000
MAX_WORDS = 12
MAX_TOKEN = 64
# The last word matches as a prefix from this many characters ("print" finds "printer"), when it is a word of its
# own: an email address or part number typed whole is matched as typed. (A prefix makes FTS5 merge the match lists
# of every word it starts; "contact0042@customer.test" with "test*" took 100 ms at a million requests, 21 without.)
PREFIX_FROM = 3
_TOKEN = re.compile(r"[^\W_]+")  # letters and digits: what the index's tokenizers keep as words
_REFERENCE = re.compile(r"^\s*(?:AM\s*-?\s*|#)?(\d{1,18})\s*$", re.IGNORECASE)
_MARK_OPEN, _MARK_CLOSE = "\x02", "\x03"

ANY_OPEN, ANY_CLOSED = "any_open", "any_closed"  # state filters besides the states themselves
FLAGS: dict[str, str] = {
    "at_risk": "At risk",
    "chased": "Chased",
    "unowned": "Unowned",
    "broken_promise": "Broken promise",
}


class SearchError(DomainError):
    """A filter the search cannot use; `field` names it."""

    def __init__(self, message: str, field: str) -> None:
        super().__init__(message, field=field)


@dataclass(frozen=True)
class Terms:
    """The user's words as the index splits them: one phrase per word typed (an email address typed as one word
    stays one phrase of three tokens), at most MAX_WORDS of them."""

    phrases: tuple[tuple[str, ...], ...]
    prefix: bool  # the last token matches as a prefix

    @property
    def empty(self) -> bool:
        return not self.phrases

    def fts5(self) -> str:
        """An FTS5 MATCH expression: every phrase quoted (its tokens hold only letters and digits, so no quote,
        operator or bracket of the user's reaches the parser), all of them required."""
        parts = [f'"{" ".join(phrase)}"' for phrase in self.phrases]
        if self.prefix:
            parts[-1] += "*"
        return " ".join(parts)

    def tsquery(self) -> str:
        """A PostgreSQL to_tsquery text: tokens quoted as lexemes, a phrase's tokens adjacent, phrases ANDed."""
        phrases = []
        for n, phrase in enumerate(self.phrases):
            lexemes = [f"'{token}'" for token in phrase]
            if self.prefix and n == len(self.phrases) - 1:
                lexemes[-1] += ":*"
            phrases.append("(" + " <-> ".join(lexemes) + ")")
        return " & ".join(phrases)


def terms_parse(text: str) -> Terms:
    """Split what was typed into the words the index knows. Punctuation, quotes, operators (OR, NOT, -, *,
    brackets, column filters) are never syntax: they separate words or vanish."""
    phrases: list[tuple[str, ...]] = []
    for chunk in (text or "").split():
        tokens = tuple(token.lower()[:MAX_TOKEN] for token in _TOKEN.findall(chunk))
        if tokens:
            phrases.append(tokens)
        if len(phrases) == MAX_WORDS:
            break
    last = phrases[-1][-1] if phrases and len(phrases[-1]) == 1 else ""
    prefix = len(last) >= PREFIX_FROM and not last.isdigit() and not (text or "").endswith((" ", '"'))
    return Terms(tuple(phrases), prefix)


def reference_parse(text: str) -> int | None:
    """The request id that `text` names on its own ("AM-5829", "am 5829", "#5829", "5829"), if it does."""
    found = _REFERENCE.match(text or "")
    return int(found.group(1)) if found and int(found.group(1)) < 2**63 else None


@dataclass(frozen=True)
class Filters:
    state: str = ""  # a State, ANY_OPEN or ANY_CLOSED; empty: any
    owner_id: int | None = None
    team_id: int | None = None
    account_id: int | None = None
    kind: str = ""
    flag: str = ""  # one of FLAGS
    created_from: date | None = None
    created_to: date | None = None  # inclusive

    def check(self) -> None:
        if self.state and self.state not in (ANY_OPEN, ANY_CLOSED, *State.values):
            raise SearchError(f"choose one of {', '.join((ANY_OPEN, ANY_CLOSED, *State.values))}", "state")
        if self.kind and self.kind not in Kind.values:
            raise SearchError(f"choose one of {', '.join(Kind.values)}", "kind")
        if self.flag and self.flag not in FLAGS:
            raise SearchError(f"choose one of {', '.join(FLAGS)}", "flag")
        if self.created_from and self.created_to and self.created_from > self.created_to:
            raise SearchError("the start date is after the end date", "created_to")

    def sql(self, tz: tzinfo) -> tuple[list[str], list[Any]]:
        """WHERE conditions on desk_ticket `t`, with their parameters. Dates are whole days in `tz`."""
        where: list[str] = []
        params: list[Any] = []
        closed = sorted(CLOSED_STATES)
        if self.state == ANY_OPEN:
            where.append(f"t.state NOT IN ({', '.join(['%s'] * len(closed))})")
            params += closed
        elif self.state == ANY_CLOSED:
            where.append(f"t.state IN ({', '.join(['%s'] * len(closed))})")
            params += closed
        elif self.state:
            where.append("t.state = %s")
            params.append(self.state)
        for column, value in (("owner_id", self.owner_id), ("team_id", self.team_id),
                              ("account_id", self.account_id)):
            if value is not None:
                where.append(f"t.{column} = %s")
                params.append(value)
        if self.kind:
            where.append("t.kind = %s")
            params.append(self.kind)
        if self.flag == "at_risk":
            where.append("t.at_risk_since IS NOT NULL")
        elif self.flag == "chased":
            where.append("t.chased_count > 0")
        elif self.flag == "unowned":
            where.append("t.owner_id IS NULL")
        elif self.flag == "broken_promise":
            where.append("EXISTS (SELECT 1 FROM desk_promise p WHERE p.ticket_id = t.id AND p.state = 'broken')")
        adapt = connection.ops.adapt_datetimefield_value
        if self.created_from:
            where.append("t.created_at >= %s")
            params.append(adapt(datetime.combine(self.created_from, time(0), tz)))
        if self.created_to:
            where.append("t.created_at < %s")
            params.append(adapt(datetime.combine(self.created_to + timedelta(days=1), time(0), tz)))
        return where, params


@dataclass
class Hit:
    ticket: Ticket
    snippet: SafeString  # escaped text with the matched words in <mark>
    exact: bool = False  # the request the search named by its reference


@dataclass
class Results:
    text: str
    terms: Terms
    hits: list[Hit] = field(default_factory=list)
    page: int = 1
    has_next: bool = False
    nothing_to_find: bool = False  # the search held no letter or digit

    @property
    def first_row(self) -> int:
        return (self.page - 1) * PAGE_SIZE + 1 if self.hits else 0

    @property
    def last_row(self) -> int:
        return (self.page - 1) * PAGE_SIZE + len(self.hits)


def snippet_html(text: str) -> SafeString:
    """A headline escaped, its match markers made into <mark> (balanced, whatever the text held)."""
    out, open_ = [], False
    for part in re.split(f"([{_MARK_OPEN}{_MARK_CLOSE}])", text or ""):
        if part == _MARK_OPEN:
            if not open_:
                out.append("<mark>")
                open_ = True
        elif part == _MARK_CLOSE:
            if open_:
                out.append("</mark>")
                open_ = False
        else:
            out.append(escape(part))
    if open_:
        out.append("</mark>")
    return mark_safe("".join(out))  # every piece of text went through escape()


def _matches(terms: Terms, where: list[str], params: list[Any], exclude: int | None,
             offset: int, limit: int) -> list[int]:
    """One page of matching request ids, best first: the newest CANDIDATES matches ranked."""
    if exclude is not None:
        where = [*where, "t.id <> %s"]
        params = [*params, exclude]
    conditions = "".join(f" AND {w}" for w in where)
    if connection.vendor == "postgresql":
        # ts_rank's weights: reference and subject (A) 1.0, customer (B) 0.4, body and messages (D) 0.1.
        sql = f"""
            SELECT id FROM (
                SELECT s.ticket_id AS id, ts_rank(s.document, to_tsquery('simple', %s)) AS rank
                FROM search_ticket s JOIN desk_ticket t ON t.id = s.ticket_id
                WHERE s.document @@ to_tsquery('simple', %s){conditions}
                ORDER BY s.ticket_id DESC LIMIT {CANDIDATES}
            ) c ORDER BY rank DESC, id DESC LIMIT %s OFFSET %s"""
        query = terms.tsquery()
        args = [query, query, *params, limit, offset]
    else:
        # bm25's column weights: reference 10, subject 5, body 1, messages 1, customer 2 (lower ranks first).
        sql = f"""
            SELECT id FROM (
                SELECT s.rowid AS id, bm25(search_ticket, 10.0, 5.0, 1.0, 1.0, 2.0) AS rank
                FROM search_ticket s JOIN desk_ticket t ON t.id = s.rowid
                WHERE search_ticket MATCH %s{conditions}
                ORDER BY s.rowid DESC LIMIT {CANDIDATES}
            ) ORDER BY rank, id DESC LIMIT %s OFFSET %s"""
        args = [terms.fts5(), *params, limit, offset]
    with connection.cursor() as cursor:
        cursor.execute(sql, args)
        return [row[0] for row in cursor.fetchall()]


SNIPPET_CHARS = 200
SNIPPET_READ = 20_000  # the first this many characters of a document are looked through


def headline(text: str, terms: Terms) -> str:
    """A window of `text` around the first match of `terms`, each match between the markers snippet_html reads."""
    tokens = sorted({t for phrase in terms.phrases for t in phrase}, key=len, reverse=True)
    if not tokens or not text:
        return ""
    last = terms.phrases[-1][-1]
    words = "|".join(re.escape(t) + (r"[^\W_]*" if terms.prefix and t == last else "") for t in tokens)
    pattern = re.compile(rf"(?<![^\W_])(?:{words})(?![^\W_])", re.IGNORECASE)
    text = text.replace(_MARK_OPEN, "").replace(_MARK_CLOSE, "")
    first = pattern.search(text)
    if first is None:
        return ""
    start = max(0, first.start() - SNIPPET_CHARS // 3)
    if start:
        space = text.find(" ", start, first.start())
        start = space + 1 if space != -1 else start
    end = min(len(text), start + SNIPPET_CHARS)
    window = pattern.sub(lambda m: f"{_MARK_OPEN}{m.group(0)}{_MARK_CLOSE}", text[start:end])
    return ("…" if start else "") + " ".join(window.split()) + ("…" if end < len(text) else "")


def _snippets(terms: Terms, ids: Sequence[int]) -> dict[int, str]:
    """The page's snippets: a few words of body, messages or customer around a match (the subject is on screen
    already), the matched ones marked. Read by id and marked here on both databases: FTS5's snippet() beside
    MATCH re-reads a prefix's whole match list for every row, and PostgreSQL's ts_headline drops whatever looks
    like an HTML tag."""
    if not ids or terms.empty:
        return {}
    marks = ", ".join(["%s"] * len(ids))
    key = "ticket_id" if connection.vendor == "postgresql" else "rowid"
    with connection.cursor() as cursor:
        cursor.execute(f"""
            SELECT {key}, substr(body, 1, {SNIPPET_READ}), substr(messages, 1, {SNIPPET_READ}), customer
            FROM search_ticket WHERE {key} IN ({marks})""", list(ids))
        return {row[0]: next(filter(None, (headline(part, terms) for part in row[1:])), "")
                for row in cursor.fetchall()}


def tickets_search(
    text: str, filters: Filters | None = None, *, page: int = 1, tz: tzinfo | None = None
) -> Results:
    """The requests that `text` finds, best first, one page of PAGE_SIZE: 3 queries whatever the page (the
    matching ids, their snippets, the requests with account, contact, team and owner), 4 with a reference.
    Raises SearchError for a filter it cannot use."""
    filters = filters or Filters()
    filters.check()
    page = max(1, min(page, CANDIDATES // PAGE_SIZE))
    terms = terms_parse(text)
    results = Results(text=text, terms=terms, page=page)
    reference = reference_parse(text)
    if terms.empty and reference is None:
        results.nothing_to_find = True
        return results
    where, params = filters.sql(tz or timezone.get_current_timezone())
    exact: int | None = None
    if reference is not None:
        conditions = "".join(f" AND {w}" for w in where)
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT t.id FROM desk_ticket t WHERE t.id = %s{conditions}", [reference, *params])
            row = cursor.fetchone()
        exact = row[0] if row else None
    offset = (page - 1) * PAGE_SIZE
    ids: list[int] = []
    if exact is not None and page == 1:
        ids.append(exact)
    # On page 1 the named request takes the first place; later pages shift by one.
    skip = 0 if exact is None else (0 if page == 1 else 1)
    want = PAGE_SIZE + 1 - (1 if exact is not None and page == 1 else 0)
    found = _matches(terms, where, params, exact, max(0, offset - skip), want) if not terms.empty else []
    ids += found
    results.has_next = len(ids) > PAGE_SIZE
    ids = ids[:PAGE_SIZE]
    snippets = _snippets(terms, ids)
    tickets = Ticket.objects.select_related("account", "contact", "team", "owner__user").in_bulk(ids)
    results.hits = [
        Hit(tickets[i], snippet_html(snippets.get(i, "")), exact=i == exact) for i in ids if i in tickets
    ]
    return results
