"""How deeply a query nests, measured on its text (query_text.measure_nesting), and the limits on it
(query_limits): every way a parser may read the text is measured, so no nesting hides from the check."""

from __future__ import annotations

import pyoxigraph
import pytest

from clastordf.server.config import ServerConfig
from clastordf.server.query_limits import DEFAULT_LIMITS, QueryTooComplex, check_query, plainly_within
from clastordf.server.query_text import AmbiguousQuery, Nesting, count_tokens, measure_nesting

from .conftest import REPO

EXAMPLES = sorted((REPO / "queries").glob("*.rq"))


def nested_closures(depth: int) -> str:
    return "ASK { ?s " + "(" * depth + "<urn:p>" + ")*" * depth + " ?o }"


@pytest.mark.parametrize(
    ("query", "groups", "brackets", "closures"),
    [
        ("SELECT * { ?s ?p ?o }", 1, 0, 0),
        ("ASK " + "{" * 2500 + "}" * 2500, 2500, 0, 0),
        ("ASK { FILTER(" + "(" * 300 + "1" + ")" * 300 + ") }", 1, 301, 0),
        ("ASK { ?s <p> " + "[ <p> " * 40 + "1" + " ]" * 40 + " }", 1, 40, 0),
        ("ASK { " + "<< ?s ?p " * 30 + "?o" + " >>" * 30 + " ?q ?z }", 1, 30, 0),
        ("ASK { <<( ?s ?p <<( ?a ?b ?c )>> )>> ?q ?z }", 1, 4, 0),
        (nested_closures(200), 1, 200, 200),
        ("ASK { ?s <p>*/(<q>+|^<r>?) ?o }", 1, 1, 1),
        ("ASK { ?s ((<p>*))* ?o }", 1, 2, 2),  # a group without a modifier still holds the closure
        ("ASK { ?s (<p>)?o }", 1, 1, 0),  # ?o is a variable here, as for the parser
        # Counted where "*" multiplies too (no query of the corpora is affected): 2, not 0.
        ("SELECT ((ex:a * 2) * 3 AS ?x) {}", 1, 2, 2),
        # Brackets in strings, comments and IRIs are not code.
        ('ASK { ?s ?p "{{{(((" } # ((((\n', 1, 0, 0),
        ("ASK { ?s <http://en.wikipedia.org/wiki/Bone_(tissue)> ?o }", 1, 0, 0),
    ],
)
def test_nesting_is_measured(query, groups, brackets, closures):
    found = measure_nesting(query)
    assert (found.groups, found.brackets, found.closures) == (groups, brackets, closures)
    assert found.tokens == count_tokens(query)


@pytest.mark.parametrize(
    "query",
    [
        # After an operand, in an expression, pyoxigraph reads "<" as less-than: what the tokenizer
        # takes for an IRI is code then.
        "ASK { FILTER(?a<" + "STR(" * 100 + "?b" + ")" * 100 + "&&?c>?d) }",
        # ... and what follows may then be read differently too: a comment, a string, a long string.
        "ASK { FILTER(?a<x#>\n" + "STR(" * 100 + "1" + ")" * 100 + ") }",
        "ASK { FILTER(?a<'> '" + "STR(" * 100 + "'" + ") }",
        'ASK { FILTER(?a<x#> """\n' + "(" * 100 + '""" ) }',
        # ... also in a SELECT expression after one with a group in it (EXISTS).
        "SELECT (EXISTS { ?s ?p ?o } AS ?e) (?a<" + "STR(" * 100 + "?b" + ")" * 100 + "&&?c>?d AS ?x) {}",
        # "<<" may open a triple term or be "<" and then an IRI.
        "ASK { FILTER(?a<<urn:x>) FILTER(" + "(" * 100 + "1" + ")" * 100 + ") }",
        # SPARQL 1.1 resolves \\u escapes before parsing (pyoxigraph does not): both are measured.
        "ASK " + "\\u007B " * 100 + "}" * 100,
    ],
)
def test_nesting_hidden_from_the_tokenizer_is_found(query):
    assert measure_nesting(query).brackets + measure_nesting(query).groups >= 100
    with pytest.raises(QueryTooComplex):
        check_query(query)


def test_pyoxigraph_reads_less_than_where_the_tokenizer_sees_an_iri():
    """Why the other reading is followed: the tokenizer alone would see one IRI here, pyoxigraph two
    comparisons and a call (it parses this; the tokenizer's reading would be a syntax error)."""
    assert measure_nesting("ASK { FILTER(?a<STR(?b)&&?c>?d) }").brackets == 2
    assert bool(pyoxigraph.Store().query("ASK { FILTER(?a<STR(?b)&&?c>?d) }")) is False


@pytest.mark.parametrize(
    "query",
    [
        "SELECT * { VALUES (?a ?b) { " + "(<http://e/x#1> <http://e/x#2>)\n" * 200 + "} }",
        "ASK { " + "?s <http://e/p> ( <http://e/x#a> <http://e/x#b> ) .\n" * 200 + "}",
        "ASK { ?s ?p ?o FILTER(?o IN (" + ", ".join(f"<http://e/x#{i}>" for i in range(200)) + ")) }",
    ],
)
def test_real_queries_have_one_reading(query):
    """IRIs in rows, lists and IN (...) never start another reading, so a long one is measured at once."""
    found = measure_nesting(query)
    assert found.groups <= 2 and found.brackets <= 2


def test_tokens_are_counted_in_every_reading():
    """Read with "<" as less-than, the one string of the tokenizer's reading is 2,000 names."""
    query = "ASK { FILTER(?a<'> '" + "x " * 2000 + "') }"
    assert count_tokens(query) < 20
    assert measure_nesting(query).tokens > 2000
    with pytest.raises(QueryTooComplex, match=r"has 20\d\d tokens"):
        check_query(query, Nesting(64, 64, 3, 1000))


def test_too_many_readings_are_refused():
    with pytest.raises(AmbiguousQuery):
        measure_nesting("ASK { FILTER(" + "?a<<x>&&" * 1000 + "1) }")
    with pytest.raises(QueryTooComplex, match="'<' may start an IRI or be less-than"):
        check_query("ASK { FILTER(" + "(?a<x#>)\n" * 1000 + ") }")


def test_the_documented_queries_are_well_within_the_limits():
    assert EXAMPLES
    for path in EXAMPLES:
        found = check_query(path.read_text(encoding="utf-8"))
        assert found.groups * 4 <= DEFAULT_LIMITS.groups and found.brackets * 4 <= DEFAULT_LIMITS.brackets, path
        assert found.closures < DEFAULT_LIMITS.closures and found.tokens * 10 <= DEFAULT_LIMITS.tokens, path


def test_the_message_names_the_limit_and_what_was_found():
    with pytest.raises(QueryTooComplex) as e:
        check_query("ASK " + "{" * 2500 + "}" * 2500)
    assert str(e.value) == "the query nests { } groups 2500 deep; this endpoint allows at most 64"
    with pytest.raises(QueryTooComplex) as e:
        check_query(nested_closures(200))
    assert "brackets ( ), [ ] or << >> 200 deep and nests property path closures (*, + or ?) 200 deep" in str(e.value)
    assert str(e.value).endswith("allows at most 64 (brackets) and 3 (closures)")
    with pytest.raises(QueryTooComplex, match="has 4 tokens; this endpoint allows at most 3"):
        check_query("ASK { ?s }", Nesting(64, 64, 3, 3))


def test_over_a_limit_only():
    limits = Nesting(groups=2, brackets=2, closures=1, tokens=100)
    assert check_query("ASK { { ?s (<p>*/<q>) ?o } }", limits).closures == 1
    assert Nesting(3, 2, 1, 100).over(limits) == [("groups", 3, 2)]


def test_the_limits_are_settings(monkeypatch, tmp_path):
    assert ServerConfig(tmp_path).query_limits == DEFAULT_LIMITS
    monkeypatch.setenv("CLASTORDF_MAX_GROUP_DEPTH", "8")
    monkeypatch.setenv("CLASTORDF_MAX_BRACKET_DEPTH", "9")
    monkeypatch.setenv("CLASTORDF_MAX_CLOSURE_DEPTH", "1")
    monkeypatch.setenv("CLASTORDF_MAX_QUERY_TOKENS", "500")
    assert ServerConfig.from_env(tmp_path).query_limits == Nesting(8, 9, 1, 500)


def test_a_query_plainly_within_the_limits_is_within_them():
    """The character count's shortcut never passes a query the full measure refuses."""
    import random

    rng = random.Random(17)  # noqa: S311 - reproducible test texts, not secrets
    pieces = [
        "{",
        "}",
        "(",
        ")",
        "[",
        "]",
        "<<",
        ">>",
        "<urn:p>",
        "*",
        "+",
        "?",
        "?x",
        " . ",
        "a",
        "FILTER",
        "<",
        "'s'",
    ]
    texts = [path.read_text(encoding="utf-8") for path in EXAMPLES]
    texts += ["ASK " + "".join(rng.choice(pieces) for _ in range(rng.randint(1, 40))) for _ in range(3000)]
    texts += [nested_closures(n) for n in range(1, 6)] + ["ASK " + "{" * n + "}" * n for n in range(1, 8)]
    passed = 0
    for limits in (DEFAULT_LIMITS, Nesting(3, 3, 2, 60), Nesting(2, 4, 1, 30), Nesting(1, 1, 1, 10)):
        for text in texts:
            if plainly_within(text, limits):
                passed += 1
                try:
                    check_query(text, limits)
                except QueryTooComplex as e:
                    raise AssertionError(f"{text!r} passed the shortcut under {limits}, but: {e}") from None
    assert passed > 500  # the shortcut does pass many queries
    assert not plainly_within("ASK { ?s \\u007B }")  # an escape: measured in full
