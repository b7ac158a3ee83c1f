"""Looking at a SPARQL query's text before running it: its form, prefixes and dataset, every SERVICE it
may call, and the engine-specific functions it names.

A tolerant tokenizer, not a parser: it skips strings, comments and IRIs, so a keyword inside them is
never taken for one, and it leaves whatever it cannot read to the real parser. The endpoint
(:mod:`.sparql`) and the remote backend (:mod:`.backend`) both read queries through it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

_STRING = "|".join(
    [
        r"'''(?:(?:'|'')?(?:[^'\\]|\\.))*'''",
        r'"""(?:(?:"|"")?(?:[^"\\]|\\.))*"""',
        r"'(?:[^'\\\r\n]|\\.)*'",
        r'"(?:[^"\\\r\n]|\\.)*"',
    ]
)
_LEXER = re.compile(
    "|".join(
        [
            r"(?P<ws>\s+)",
            r"(?P<comment>#[^\r\n]*)",
            f"(?P<string>{_STRING})",
            r"(?P<iri><[^<>\"{}|^`\\\x00-\x20]*>)",
            r"(?P<var>[?$]\w+)",
            r"(?P<name>(?:[\w\-\u00B7.:%]|\\.)+)",  # keywords, prefixed names, numbers (escapes as in PN_LOCAL)
            r"(?P<esc>\\.)",  # a stray escape: never let it start a string or a comment
            r"(?P<other>.)",
        ]
    ),
    re.DOTALL,
)
_CODEPOINT = re.compile(r"\\u([0-9A-Fa-f]{4})|\\U([0-9A-Fa-f]{8})")
_SERVICE = re.compile("service", re.IGNORECASE)
_SILENT = re.compile("silent", re.IGNORECASE)
_ABSOLUTE_IRI = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*:[^\x00-\x20<>\"{}|^`\\]*")
_DOT_SEGMENT = re.compile(r"/\.\.?(?:[/?#]|$)")
_PREFIX_NAME = re.compile(r"(?:[^\W\d_][\w\-.]*)?(?<!\.)", re.UNICODE)
QUERY_FORMS = {"SELECT", "ASK", "CONSTRUCT", "DESCRIBE"}
UPDATE_FORMS = {"INSERT", "DELETE", "LOAD", "CLEAR", "CREATE", "DROP", "COPY", "MOVE", "ADD", "WITH"}
_UNDECLARED = object()


def _unescape_codepoints(text: str) -> str:
    def char(m: re.Match[str]) -> str:
        code = int(m.group(1) or m.group(2), 16)
        return chr(code) if code <= 0x10FFFF else m.group(0)

    return _CODEPOINT.sub(char, text)


def _tokens(text: str) -> list[tuple[str, str]]:
    return [(m.lastgroup or "other", m.group()) for m in _LEXER.finditer(text) if m.lastgroup not in ("ws", "comment")]


def _absolute(iri: str) -> str | None:
    """``iri`` (escapes resolved) if it is absolute and has no dot segments, which resolution against a
    BASE would rewrite; otherwise None: such an IRI is never taken for an allow-listed one."""
    iri = _unescape_codepoints(iri)
    if not _ABSOLUTE_IRI.fullmatch(iri) or _DOT_SEGMENT.search(iri):
        return None
    return iri


@dataclass
class QueryInfo:
    """What the endpoint needs to know about a query before running it (from a tolerant tokenizer)."""

    #: The first keyword after the prologue: SELECT, ASK, CONSTRUCT, DESCRIBE, an update keyword or None.
    form: str | None = None
    prefixes: dict[str, str] = field(default_factory=dict)
    #: The query names its own dataset (FROM / FROM NAMED), which then replaces the union default graph.
    has_from: bool = False
    #: The text contains "service" (any case, also through \\u escapes): SERVICE is possible.
    mentions_service: bool = False
    #: The IRIs SERVICE keywords may call; None for one that cannot be checked (a variable, say).
    services: list[str | None] = field(default_factory=list)


def _prologue(toks: list[tuple[str, str]]) -> tuple[int, dict[str, str | None]]:
    prefixes: dict[str, str | None] = {}
    i = 0
    while i < len(toks):
        word = toks[i][1].upper() if toks[i][0] == "name" else ""
        if word == "BASE" and i + 1 < len(toks) and toks[i + 1][0] == "iri":
            i += 2
        elif (
            word == "PREFIX"
            and i + 2 < len(toks)
            and toks[i + 1][0] == "name"
            and toks[i + 1][1].endswith(":")
            and toks[i + 1][1].count(":") == 1
            and toks[i + 2][0] == "iri"
        ):
            prefixes[toks[i + 1][1][:-1]] = _absolute(toks[i + 2][1][1:-1])
            i += 3
        else:
            break
    return i, prefixes


def _expand(name: str, prefixes: dict[str, str | None]) -> object:
    prefix, local = name.split(":", 1)
    if prefix not in prefixes:
        return _UNDECLARED  # the parser rejects this reading, so it needs no check
    namespace = prefixes[prefix]
    return None if namespace is None else _absolute(namespace + re.sub(r"\\(.)", r"\1", local))


def _targets(rest: str, toks: list[tuple[str, str]], j: int, prefixes: dict[str, str | None]) -> list[str | None]:
    """Every IRI a SERVICE keyword followed by ``rest`` (the remainder of its token) and then ``toks[j:]``
    may call, for every reading of glued text such as ``SERVICESILENT:x`` (SPARQL parsers accept it)."""
    if not rest:
        if j >= len(toks):
            return [None]
        kind, text = toks[j]
        if kind == "iri":
            return [_absolute(text[1:-1])]
        if kind != "name":
            return [None]  # a variable (never allowed) or no valid target
        rest, j = text, j + 1
    readings: list[object] = []
    if ":" in rest:
        readings.append(_expand(rest, prefixes))
    silent = _SILENT.match(rest)
    if silent:
        readings.extend(_targets(rest[silent.end() :], toks, j, prefixes))
    found = [r for r in readings if r is not _UNDECLARED]
    return [r if isinstance(r, str) else None for r in found] or [None]


def _scan(text: str, info: QueryInfo, first_pass: bool) -> None:
    toks = _tokens(text)
    start, prefixes = _prologue(toks)
    if first_pass:
        info.prefixes = {p: iri for p, iri in prefixes.items() if iri and _PREFIX_NAME.fullmatch(p)}
        if start < len(toks) and toks[start][0] == "name":
            word = toks[start][1].upper()
            info.form = word if word in QUERY_FORMS | UPDATE_FORMS else None
        info.has_from = any(
            kind == "name" and (t.upper() == "FROM" or t.upper().startswith("FROM:")) for kind, t in toks[start:]
        )
    for i in range(start, len(toks)):
        kind, text_ = toks[i]
        if kind != "name":
            continue
        keyword = _SERVICE.search(text_.split(":", 1)[0])  # in a local name it would be part of the name
        if keyword:
            info.services.extend(_targets(text_[keyword.end() :], toks, i + 1, prefixes))


def inspect_query(text: str) -> QueryInfo:
    """Tokenize ``text`` (strings, comments and IRIs are skipped; ``\\u`` escapes are tried both resolved
    and not) for its form, prefixes, FROM and every possible SERVICE call. Tolerant: whatever it cannot
    read is left to pyoxigraph's parser, except a possible SERVICE, which is then refused."""
    info = QueryInfo()
    unescaped = _unescape_codepoints(text)
    info.mentions_service = bool(_SERVICE.search(text) or _SERVICE.search(unescaped))
    _scan(text, info, first_pass=True)
    if info.mentions_service and unescaped != text:
        _scan(unescaped, info, first_pass=False)
    return info


#: URI schemes of Virtuoso's built-in functions (``bif:``) and SQL procedures (``sql:``), which it lets
#: SPARQL call without declaring the prefixes.
ENGINE_SCHEMES = ("bif", "sql")


def engine_functions(query: str) -> list[str]:
    """The names in ``query`` (after its prologue) in an :data:`ENGINE_SCHEMES` scheme, written as IRIs,
    as prefixed names or through a declared prefix (``\\u`` escapes resolved). Refused with a remote
    backend: SPARQL 1.1 does not need them, and through them a query could reach the engine's SQL.

    >>> engine_functions("PREFIX b: <BIF:> SELECT * { ?s ?p ?o FILTER(bif:contains(?o, 'x') || b:y()) }")
    ['bif:contains', 'b:y']
    """
    found: list[str] = []
    for text in dict.fromkeys((query, _unescape_codepoints(query))):
        toks = _tokens(text)
        start, prefixes = _prologue(toks)
        declared = {p for p, ns in prefixes.items() if ns and ns.split(":", 1)[0].lower() in ENGINE_SCHEMES}
        for kind, token in toks[start:]:
            if kind == "iri":
                iri = _unescape_codepoints(token[1:-1])
                if ":" in iri and iri.split(":", 1)[0].lower() in ENGINE_SCHEMES:
                    found.append(token)
            elif kind == "name" and ":" in token:
                prefix = token.split(":", 1)[0]
                if prefix.lower() in ENGINE_SCHEMES or prefix in declared:
                    found.append(token)
    return list(dict.fromkeys(found))
