"""Queries small enough for the web worker to answer itself, without a trip to a query executor.

An executor process exists to stop a query that runs too long or takes too much memory; a query whose
answer is provably small needs neither guard, and sending it through a pipe to another process, behind
the queries already waiting for one, costs more than running it. "Provably small" is decided in two
steps, both cheap and both conservative (anything they do not recognise goes to an executor):

1. :func:`read_point_query`: the text has one narrow shape: ASK, SELECT (``*`` or variables, DISTINCT
   or REDUCED allowed) or CONSTRUCT over a group of plain triple patterns whose subjects are all
   constant IRIs (no variables, blank nodes, property paths, FILTER, OPTIONAL, UNION, GRAPH, subqueries,
   FROM, BASE or relative IRIs), then at most ORDER BY variables, LIMIT and OFFSET; or DESCRIBE of
   constant IRIs. No ``\\u`` escapes anywhere, so this reading and the engine's cannot differ.
2. :func:`within`: the data bounds the answer. Each pattern matches at most the triples of its subject
   (and predicate, when constant), which are counted, each count stopping past ``cap``; the product of
   the counts bounds the rows of the join. Over ``cap``: not small. A DESCRIBE whose subject has a blank
   node object is not small either (its description would follow the blank node).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import pyoxigraph as ox

from .engine import ServedStore
from .executor import Answer, Job, QueryFailed, execute
from .query_text import _absolute, _expand, _prologue, _tokens

#: Rows (or triples) an answer the web worker makes itself may hold at most: a few milliseconds of work.
IN_WORKER_ROWS = 1000

_RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
_MODIFIERS = {"LIMIT", "OFFSET"}


@dataclass(frozen=True)
class Pattern:
    """One triple pattern of a point query: a constant subject, and a constant predicate or None."""

    subject: str
    predicate: str | None = None


@dataclass(frozen=True)
class PointQuery:
    """A query :func:`read_point_query` recognised: its form and the patterns that bound its answer."""

    form: str
    patterns: tuple[Pattern, ...]


class _NotPoint(Exception):
    """The text is not of the shape :func:`read_point_query` answers for."""


class _Reader:
    """The tokens after the prologue, read one at a time; any surprise raises :class:`_NotPoint`."""

    def __init__(self, toks: list[tuple[str, str]], prefixes: dict[str, str | None]) -> None:
        self.toks = _split_dots(toks)
        self.prefixes = prefixes
        self.i = 0

    def peek(self) -> tuple[str, str] | None:
        return self.toks[self.i] if self.i < len(self.toks) else None

    def next(self) -> tuple[str, str]:
        tok = self.peek()
        if tok is None:
            raise _NotPoint
        self.i += 1
        return tok

    def keyword(self, *words: str) -> str | None:
        """The next token if it is one of ``words`` (any case), consumed; else None."""
        tok = self.peek()
        if tok is not None and tok[0] == "name" and tok[1].upper() in words:
            self.i += 1
            return tok[1].upper()
        return None

    def punct(self, char: str) -> bool:
        tok = self.peek()
        if tok is not None and tok[0] == "other" and tok[1] == char:
            self.i += 1
            return True
        return False

    def expect(self, char: str) -> None:
        if not self.punct(char):
            raise _NotPoint

    def iri(self) -> str:
        """A constant IRI: absolute ``<…>`` or a prefixed name with a declared, absolute namespace."""
        kind, text = self.next()
        if kind == "iri":
            iri = _absolute(text[1:-1])
        elif kind == "name" and ":" in text and "\\" not in text and not text.startswith("_:"):
            expanded = _expand(text, self.prefixes)  # None or a marker object when it cannot be one
            iri = expanded if isinstance(expanded, str) else None
        else:
            iri = None
        if iri is None:
            raise _NotPoint
        return iri

    def is_iri_next(self) -> bool:
        tok = self.peek()
        return tok is not None and (tok[0] == "iri" or (tok[0] == "name" and ":" in tok[1]))

    def verb(self) -> str | None:
        """A predicate: a constant (``a`` is rdf:type) or a variable (None)."""
        tok = self.peek()
        if tok is not None and tok[0] == "var":
            self.i += 1
            return None
        if tok is not None and tok == ("name", "a"):
            self.i += 1
            return _RDF_TYPE
        return self.iri()

    def obj(self) -> None:
        """An object: a variable, a constant IRI, or a string with an optional language or datatype."""
        tok = self.peek()
        if tok is not None and tok[0] == "var":
            self.i += 1
        elif tok is not None and tok[0] == "string":
            self.i += 1
            if self.punct("@"):
                kind, text = self.next()
                if kind != "name" or not text.replace("-", "").isalnum():
                    raise _NotPoint
            elif self.punct("^"):
                self.expect("^")
                self.iri()
        else:
            self.iri()

    def triples(self, patterns: list[Pattern]) -> None:
        """``{ s p o ; p o , o . s p o }`` with constant subjects, up to and including the ``}``."""
        self.expect("{")
        while not self.punct("}"):
            subject = self.iri()
            while True:
                predicate = self.verb()
                self.obj()
                patterns.append(Pattern(subject, predicate))
                while self.punct(","):
                    self.obj()
                    patterns.append(Pattern(subject, predicate))
                if not self.punct(";"):
                    break
                if self.peek() in (("other", "."), ("other", "}")):
                    break  # a trailing ';' is allowed
            if not self.punct(".") and self.peek() != ("other", "}"):
                raise _NotPoint

    def template(self) -> None:
        """A CONSTRUCT template: any terms, its size does not depend on the data (rows do)."""
        self.expect("{")
        while not self.punct("}"):
            kind, text = self.next()
            if kind not in ("iri", "var", "string", "name") and text not in (".", ";", ",", "@", "^", "[", "]"):
                raise _NotPoint
            if kind == "name" and "\\" in text:
                raise _NotPoint

    def modifiers(self) -> None:
        """``ORDER BY ?v …``, ``LIMIT n``, ``OFFSET n``, then the end of the text."""
        if self.keyword("ORDER"):
            if not self.keyword("BY"):
                raise _NotPoint
            if self.peek() is None or self.peek()[0] != "var":  # type: ignore[index]
                raise _NotPoint
            while (tok := self.peek()) is not None and tok[0] == "var":
                self.i += 1
        while self.keyword(*_MODIFIERS):
            kind, text = self.next()
            if kind != "name" or not text.isdigit():
                raise _NotPoint
        if self.peek() is not None:
            raise _NotPoint


def _split_dots(toks: Iterable[tuple[str, str]]) -> list[tuple[str, str]]:
    """The tokenizer reads ``.`` and ``ex:a.`` as names; a local name never ends with a dot, so the dot
    is the statement's end."""
    out: list[tuple[str, str]] = []
    for kind, text in toks:
        if (kind, text) == ("name", "."):
            out.append(("other", "."))
        elif kind == "name" and len(text) > 1 and text.endswith(".") and not text.endswith("\\."):
            out += [(kind, text[:-1]), ("other", ".")]
        else:
            out.append((kind, text))
    return out


def read_point_query(text: str) -> PointQuery | None:
    """The patterns that bound ``text``'s answer, if it has the narrow shape this module answers for
    (see the module's description); None otherwise.

    >>> read_point_query("ASK { <http://e/s> ?p ?o }")
    PointQuery(form='ASK', patterns=(Pattern(subject='http://e/s', predicate=None),))
    >>> q = read_point_query("PREFIX e: <http://e/> SELECT ?o WHERE { e:s a ?t ; e:p ?o , 'x'@en . } LIMIT 5")
    >>> q.form, [p.predicate for p in q.patterns]
    ('SELECT', ['http://www.w3.org/1999/02/22-rdf-syntax-ns#type', 'http://e/p', 'http://e/p'])
    >>> read_point_query("DESCRIBE <http://e/s>").form
    'DESCRIBE'
    >>> [read_point_query(t) for t in ("ASK { ?s ?p ?o }", "ASK { <http://e/s> <http://e/p>* ?o }",
    ...     "ASK { <s> ?p ?o }", "ASK { <http://e/s> ?p ?o FILTER(true) }", "ASK { e:s ?p ?o }",
    ...     "ASK { <http://e/s> ?p ?o } \\\\u007D", "SELECT (COUNT(*) AS ?n) { <http://e/s> ?p ?o }")]
    [None, None, None, None, None, None, None]
    """
    if "\\u" in text or "\\U" in text:
        return None
    toks = _tokens(text)
    start, prefixes = _prologue(toks)
    if any(kind == "name" and word.upper() == "BASE" for kind, word in toks[:start]):
        return None
    reader = _Reader(toks[start:], prefixes)
    patterns: list[Pattern] = []
    try:
        form = reader.keyword("ASK", "SELECT", "CONSTRUCT", "DESCRIBE")
        if form == "DESCRIBE":
            while reader.is_iri_next():
                patterns.append(Pattern(reader.iri()))
            if not patterns:
                raise _NotPoint
            reader.modifiers()
            return PointQuery(form, tuple(patterns))
        if form == "SELECT":
            reader.keyword("DISTINCT", "REDUCED")
            if not reader.punct("*"):
                if reader.peek() is None or reader.peek()[0] != "var":  # type: ignore[index]
                    raise _NotPoint
                while (tok := reader.peek()) is not None and tok[0] == "var":
                    reader.i += 1
            reader.keyword("WHERE")
        elif form == "CONSTRUCT":
            reader.template()
            if not reader.keyword("WHERE"):
                raise _NotPoint
        elif form == "ASK":
            reader.keyword("WHERE")
        else:
            raise _NotPoint
        reader.triples(patterns)
        reader.modifiers()
    except _NotPoint:
        return None
    return PointQuery(form, tuple(patterns)) if patterns else None


def _count(store: ox.Store, pattern: Pattern, cap: int, where: str = "") -> int:
    """The triples ``pattern`` matches in any graph of ``store``, counted up to ``cap + 1``. Counted
    by the engine: walking the matches in Python costs ten times as much. (The IRIs were read by
    :func:`~.query_text._absolute`, which admits no character that could end an IRI early.)"""
    predicate = f"<{pattern.predicate}>" if pattern.predicate else "?p"
    query = (
        f"SELECT (COUNT(*) AS ?n) WHERE {{ SELECT * WHERE {{ <{pattern.subject}> {predicate} ?o {where} }} "
        f"LIMIT {cap + 1} }}"
    )
    result = store.query(query, use_default_graph_as_union=True)
    assert isinstance(result, ox.QuerySolutions)
    count = next(iter(result))["n"]
    return int(count.value) if isinstance(count, ox.Literal) else cap + 1


def within(store: ox.Store, query: PointQuery, cap: int = IN_WORKER_ROWS) -> bool:
    """Whether the data bounds ``query``'s answer to ``cap`` rows (triples): the product of what each
    pattern can match, counted in ``store`` (all its graphs: an upper bound for any dataset).

    >>> store = ox.Store()
    >>> s, p = ox.NamedNode("http://e/s"), ox.NamedNode("http://e/p")
    >>> store.extend([ox.Quad(s, p, ox.Literal(str(n))) for n in range(30)])
    >>> within(store, PointQuery("ASK", (Pattern("http://e/s"),)), cap=30)
    True
    >>> within(store, PointQuery("ASK", (Pattern("http://e/s"), Pattern("http://e/s", "http://e/p"))), cap=800)
    False
    """
    if query.form == "DESCRIBE":  # descriptions add up, they do not join
        described = 0
        for pattern in query.patterns:
            if _count(store, pattern, 0, "FILTER(isBlank(?o) || isTriple(?o))"):
                return False  # the description would go on through the blank node
            described += _count(store, pattern, cap)
            if described > cap:
                return False
        return True
    bound = 1
    for pattern in query.patterns:
        bound *= _count(store, pattern, cap)
        if bound > cap:
            return False
    return True


def answer_here(store: ServedStore, job: Job) -> Answer:
    """Run ``job`` in this process (a query :func:`within` found small), failing as an executor would."""
    try:
        return execute(store, job)
    except SyntaxError as e:
        raise QueryFailed("syntax", str(e)) from None
    except OSError as e:
        raise QueryFailed("internal", f"{type(e).__name__}: {e}") from None
