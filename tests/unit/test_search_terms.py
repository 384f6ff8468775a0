"""What a user types, made safe for the full-text engines: every word is quoted, no character is syntax."""

import pytest

from amends.search.queries import reference_parse, snippet_html, terms_parse


@pytest.mark.parametrize(("typed", "fts5", "tsquery"), [
    ("printer", '"printer"*', "('printer':*)"),
    ("Printer JAMS", '"printer" "jams"*', "('printer') & ('jams':*)"),
    ("gary@inkwellprint.test", '"gary inkwellprint test"', "('gary' <-> 'inkwellprint' <-> 'test')"),  # as typed
    ("toner gary@inkwellprint.test", '"toner" "gary inkwellprint test"', "('toner') & ('gary' <-> 'inkwellprint' <-> 'test')"),
    ('say "hello" OR (bye) -no', '"say" "hello" "or" "bye" "no"', "('say') & ('hello') & ('or') & ('bye') & ('no')"),
    ("AM-5829", '"am 5829"', "('am' <-> '5829')"),
    ("toner* NEAR(a b)", '"toner" "near a" "b"', "('toner') & ('near' <-> 'a') & ('b')"),
    ("col:value ^start", '"col value" "start"*', "('col' <-> 'value') & ('start':*)"),
    ("Müller straße", '"müller" "straße"*', "('müller') & ('straße':*)"),
    ("it ", '"it"', "('it')"),
])
def test_words_are_quoted_phrases(typed, fts5, tsquery):
    terms = terms_parse(typed)
    assert terms.fts5() == fts5
    assert terms.tsquery() == tsquery


@pytest.mark.parametrize("typed", ["", "   ", '"', "***", "-- () ^ : ''", "_ __ ___", "\x00\x01"])
def test_only_punctuation_is_nothing_to_find(typed):
    assert terms_parse(typed).empty


def test_a_quote_or_backslash_never_reaches_the_engine():
    terms = terms_parse("""a"b c'd e\\f""")
    for text in (terms.fts5(), terms.tsquery()):
        assert "\\" not in text
    assert '"' not in terms.tsquery()
    assert terms.fts5().count('"') == 2 * len(terms.phrases)
    assert all("'" not in token for phrase in terms.phrases for token in phrase)


def test_words_and_their_length_are_bounded():
    terms = terms_parse(" ".join(f"w{n}" for n in range(50)) + " " + "x" * 500)
    assert len(terms.phrases) == 12
    assert max(len(t) for p in terms_parse("y" * 500).phrases for t in p) == 64


@pytest.mark.parametrize(("typed", "ticket_id"), [
    ("AM-5829", 5829), ("am-5829", 5829), (" AM 5829 ", 5829), ("#5829", 5829), ("5829", 5829),
    ("AM-5829 printer", None), ("AM-", None), ("AM-12x", None), ("9" * 30, None),
])
def test_a_reference_on_its_own_names_a_request(typed, ticket_id):
    assert reference_parse(typed) == ticket_id


def test_snippets_are_escaped_and_marked_in_balance():
    assert snippet_html("<script>alert(1)</script> \x02printer\x03 & co") == (
        "&lt;script&gt;alert(1)&lt;/script&gt; <mark>printer</mark> &amp; co"
    )
    # Markers the customer's own text holds cannot unbalance the page's HTML.
    assert snippet_html("\x03a\x02b\x02c") == "a<mark>bc</mark>"
