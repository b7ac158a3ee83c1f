"""Limits on how a query may nest, checked on its text before any SPARQL parser reads it.

A SPARQL parser recurses once per nesting level, on a fixed stack. pyoxigraph's, in an executor's
8 MiB main thread, overflows it (the process dies with SIGSEGV) at about 2,500 nested ``{ }`` (5 KB of
text) or 1,000 nested function calls; an engine behind ``--backend`` fared no better: one 6 KB query
took ``oxigraph serve`` down. And nested path closures cost exponentially more with each level, on this
project's 10,000 triples ``?s ((rdfs:subClassOf)*)* ?o`` and deeper took 0.2 s, 0.9 s, 3 s, 16 s for
one to four levels; 200 levels (621 bytes) ran to the time limit. So the endpoint measures every query
with :func:`.query_text.measure_nesting`, which follows every way a parser may read the text, and
answers 400, naming the limit and what it found, before an executor or a remote backend sees it.

The defaults (:data:`DEFAULT_LIMITS`, settings of :class:`.config.ServerConfig`) leave room: the
documented queries (``queries/*.rq``) nest at most 5 groups, 4 brackets and 1 closure in 351 tokens; the
1,322 W3C SPARQL 1.0, 1.1 and 1.2 test queries and updates at most 5 groups, 6 brackets and 2 closures
(``((:P)*)*``), in at most 507 tokens (3,125 in an update written to be large). At the limits a parser
recurses a few hundred levels, a small part of any stack.
"""

from __future__ import annotations

from .query_text import AmbiguousQuery, Nesting, count_tokens, measure_nesting

#: Nested ``{ }`` groups, nested ``( )``/``[ ]``/``<< >>`` brackets, nested path closures and tokens.
DEFAULT_LIMITS = Nesting(groups=64, brackets=64, closures=3, tokens=10_000)

_WHAT = {
    "groups": "nests {{ }} groups {} deep",
    "brackets": "nests brackets ( ), [ ] or << >> {} deep",
    "closures": "nests property path closures (*, + or ?) {} deep",
    "tokens": "has {} tokens",
}


class QueryTooComplex(ValueError):
    """A query over a limit (or that cannot be measured); the message says which, what was found and
    what is allowed."""


def plainly_within(query: str, limits: Nesting = DEFAULT_LIMITS) -> bool:
    """Whether ``query`` is within ``limits`` by counting characters alone: no reading of it can nest
    deeper than it has openers (a closure nests only inside a ``( )``), nor hold more tokens than
    characters. For the short, plain queries most clients send, this spares the full measure.

    >>> plainly_within("ASK { <http://e/s> ?p ?o }")
    True
    >>> plainly_within("ASK { ?s (((<urn:p>)*)*)* ?o }"), plainly_within("ASK { ?s \\\\u0028 }")
    (False, False)
    """
    if "\\" in query or len(query) > limits.tokens:  # escapes may hide openers
        return False
    opens = query.count("(")
    return (
        query.count("{") <= limits.groups
        and opens + query.count("[") + query.count("<") <= limits.brackets
        and opens + 1 <= limits.closures
    )


def check_query(query: str, limits: Nesting = DEFAULT_LIMITS) -> Nesting:
    """How ``query`` nests, if within ``limits``; else :class:`QueryTooComplex`.

    >>> check_query("SELECT * { ?s <http://e/p>* ?o }")  # within the defaults
    Nesting(groups=1, brackets=0, closures=1, tokens=8)
    >>> check_query("ASK { ?s ((((<urn:p>)*)*)*)* ?o }", Nesting(64, 64, 2, 100))  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    clastordf.server.query_limits.QueryTooComplex: the query nests property path closures (*, + or ?) 4 deep; ...
    """
    tokens = count_tokens(query)
    if tokens > limits.tokens:  # measured no further: the work is linear in the tokens
        found = Nesting(tokens=tokens)
    else:
        try:
            found = measure_nesting(query)
        except AmbiguousQuery as e:
            raise QueryTooComplex(str(e)) from None
    over = found.over(limits)
    if over:
        raise QueryTooComplex(
            "the query "
            + " and ".join(_WHAT[name].format(value) for name, value, _ in over)
            + "; this endpoint allows at most "
            + " and ".join(f"{limit}" if len(over) == 1 else f"{limit} ({name})" for name, _, limit in over)
        )
    return found
