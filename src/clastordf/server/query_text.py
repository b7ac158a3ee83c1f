"""Looking at a SPARQL query's text before running it: its form, prefixes and dataset, every SERVICE it
may call, and the engine-specific functions it names.

A tolerant tokenizer, not a parser: it skips strings, comments and IRIs, so a keyword inside them is
never taken for one, and it leaves whatever it cannot read to the real parser. The endpoint
(:mod:`.sparql`) and the remote backend (:mod:`.backend`) both read queries through it.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field

_STRING = "|".join(
    [
        r"'''(?:(?:'|'')?(?:[^'\\]|\\.))*'''",
        r'"""(?:(?:"|"")?(?:[^"\\]|\\.))*"""',
        r"'(?:[^'\\\r\n]|\\.)*'",
        r'"(?:[^"\\\r\n]|\\.)*"',
    ]
)
_IRIREF = r"<[^<>\"{}|^`\\\x00-\x20]*>"
_LEXER = re.compile(
    "|".join(
        [
            r"(?P<ws>\s+)",
            r"(?P<comment>#[^\r\n]*)",
            f"(?P<string>{_STRING})",
            f"(?P<iri>{_IRIREF})",
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


# --- how deeply a query nests ----------------------------------------------------------------------


@dataclass(frozen=True)
class Nesting:
    """How deeply a query's text nests: how far a SPARQL parser recurses to read it, and what makes a
    property path expensive to run. Also the shape of the limits on these (:mod:`.query_limits`)."""

    #: ``{ }`` groups inside each other.
    groups: int = 0
    #: ``( )``, ``[ ]`` and ``<< >>`` inside each other: expressions and function calls, path groups,
    #: collections, blank nodes, triple terms.
    brackets: int = 0
    #: Path closures (``*``, ``+``, ``?``) inside each other: ``<p>*`` is 1, ``(<p>*/<q>)+`` is 2.
    closures: int = 0
    #: Tokens: names, IRIs, literals, variables and punctuation (not white space or comments).
    tokens: int = 0

    def over(self, limits: Nesting) -> list[tuple[str, int, int]]:
        """``(measure, found, limit)`` for every measure over its limit in ``limits``.

        >>> Nesting(groups=3, brackets=70).over(Nesting(groups=64, brackets=64, closures=2, tokens=100))
        [('brackets', 70, 64)]
        """
        return [
            (name, getattr(self, name), getattr(limits, name))
            for name in ("groups", "brackets", "closures", "tokens")
            if getattr(self, name) > getattr(limits, name)
        ]


class AmbiguousQuery(ValueError):
    """A query with too many ways to read its ``<`` signs for :func:`measure_nesting` to follow."""


#: The words that start the clauses where, in a group or at the top, ``(`` may open an expression
#: (FILTER, BIND, the SELECT list, GROUP BY, ORDER BY, HAVING). The clause lasts until ``.``, ``;`` or
#: ``,`` in the group, and is off in a group inside (and on again after it): elsewhere ``(`` opens a
#: path group, a collection or a VALUES row.
_EXPRESSION_CLAUSES = frozenset({"FILTER", "BIND", "SELECT", "BY", "HAVING"})
_CLAUSE_ENDS = frozenset({".", ";", ","})
#: Kinds of open brackets: a group (``{c``: opened in an expression clause, which goes on after it),
#: ``(`` a path group, collection or VALUES row, ``e`` a bracket that may be an expression's, ``[`` a
#: blank node, ``<`` a triple term (``<<``, closed by ``>>``); and what each closer closes.
_GROUPS = ("{", "{c")
_CLOSERS = {"}": _GROUPS, ")": ("(", "e"), "]": ("[",)}
_SKIPPED = ("ws", "comment")
#: Readings followed at once, and tokens read over all readings beyond twice the tokenizer's and one
#: for every two characters (a reading with "<" as less-than may see code where the tokenizer saw one
#: IRI or string), at most. Of the 1,322 W3C test queries and updates 159 have a second reading
#: (triple terms, mostly), which reads 113 tokens more at most.
MAX_READINGS = 16
EXTRA_READS = 1000

_IRI = re.compile(_IRIREF)
_Token = tuple[str, str, int, int]


def _lex(text: str, pos: int) -> Iterator[_Token]:
    for m in _LEXER.finditer(text, pos):
        kind = m.lastgroup or "other"
        if kind not in _SKIPPED:
            yield kind, m.group(), m.start(), m.end()


class _Stacks:
    """Stacks of open brackets, each a number (0: none open); equal stacks have the same number. A frame
    is ``(kind, deepest closure inside, the stack around it, groups open, other brackets open)``, its
    kind as in :data:`_GROUPS` and :data:`_CLOSERS`."""

    def __init__(self) -> None:
        self.frames: list[tuple[str, int, int, int, int]] = [("", 0, 0, 0, 0)]
        self._numbers: dict[tuple[str, int, int], int] = {}

    def push(self, stack: int, kind: str, inside: int = 0) -> int:
        key = (kind, inside, stack)
        number = self._numbers.get(key)
        if number is None:
            _, _, _, groups, brackets = self.frames[stack]
            group = kind in _GROUPS
            self.frames.append((kind, inside, stack, groups + group, brackets + (not group)))
            number = self._numbers[key] = len(self.frames) - 1
        return number


class _Reading:
    """One way to read a query's text, as far as ``end``: which brackets are open, and what the last
    token allows next. See :func:`measure_nesting`."""

    __slots__ = ("stream", "end", "stack", "operand", "closable", "clause", "groups", "brackets", "closures", "tokens")

    def __init__(self, stream: Iterator[_Token], end: int = 0, stack: int = 0) -> None:
        self.stream = stream
        self.end = end
        self.stack = stack
        #: The last token ends an operand: in an expression, ``<`` may now be less-than.
        self.operand = False
        #: The closure depth of the path step just read, if one was (a modifier may follow).
        self.closable: int | None = None
        #: In a clause where ``(`` may open an expression (see :data:`_EXPRESSION_CLAUSES`).
        self.clause = False
        self.groups = self.brackets = self.closures = self.tokens = 0

    def fork(self, text: str, end: int) -> _Reading:
        """Another reading, that has read ``<`` as an operator and goes on at ``end``."""
        other = _Reading(_lex(text, end), end, self.stack)
        other.clause = self.clause
        other.groups, other.brackets, other.closures = self.groups, self.brackets, self.closures
        other.tokens = self.tokens
        return other

    def merge(self, other: _Reading) -> None:
        """Take in ``other``, at the same place with the same brackets open, keeping whatever either
        allows next that may lead deeper."""
        self.operand |= other.operand
        self.clause |= other.clause
        if other.closable is not None and (self.closable is None or other.closable > self.closable):
            self.closable = other.closable
        self.groups = max(self.groups, other.groups)
        self.brackets = max(self.brackets, other.brackets)
        self.closures = max(self.closures, other.closures)
        self.tokens = max(self.tokens, other.tokens)

    def _push(self, stacks: _Stacks, kind: str) -> None:
        self.stack = stacks.push(self.stack, kind)
        _, _, _, groups, brackets = stacks.frames[self.stack]
        self.groups, self.brackets = max(self.groups, groups), max(self.brackets, brackets)

    def _inside(self, stacks: _Stacks, depth: int) -> None:
        """A closure ``depth`` deep is inside the innermost bracket."""
        kind, inside, around, _, _ = stacks.frames[self.stack]
        if self.stack and depth > inside:
            self.stack = stacks.push(around, kind, depth)

    def read(self, text: str, stacks: _Stacks, token: _Token) -> tuple[bool, _Reading | None]:
        """Read the next token: whether this reading goes on (not if it closes a bracket that is not
        open: a parser reading so stops there), and another reading of the same text if there is one."""
        kind, word, start, end = token
        self.tokens += 1
        other = None
        top = stacks.frames[self.stack][0] or "{"  # the top level is read as a group
        operand, closable = True, None
        if kind == "iri":
            if self.operand and top == "e":
                # After an operand, in an expression, a parser may read "<" as less-than and what the
                # tokenizer took for an IRI as code: follow that reading too.
                other = self.fork(text, start + 1)
            closable = 0
        elif kind == "name":
            closable = 0 if ":" in word or word == "a" else None  # a path step; not a number or keyword
            self.clause |= word.upper() in _EXPRESSION_CLAUSES
        elif kind in ("var", "string"):
            pass
        elif word == "<" and text.startswith("<", end):
            # "<<" opens a triple term; after an operand, in an expression, it may be less-than and an IRI.
            if self.operand and top == "e" and _IRI.match(text, end):
                other = self.fork(text, end)
            self._push(stacks, "<")
            end += 1
            self.stream = _lex(text, end)
            operand = False
        elif word == ">" and top == "<" and text.startswith(">", end):
            self.stack = stacks.frames[self.stack][2]
            end += 1
            self.stream = _lex(text, end)
        elif word == "{":
            self._push(stacks, "{c" if self.clause else "{")
            self.clause, operand = False, False
        elif word == "[":
            self._push(stacks, "[")
            operand = False
        elif word == "(":
            # In a path group, collection, blank node or triple term, no bracket is an expression's.
            self._push(stacks, "e" if top == "e" or top in _GROUPS and self.clause else "(")
            operand = False
        elif word in _CLOSERS:
            frame, inside, around, _, _ = stacks.frames[self.stack]
            if not self.stack or frame not in _CLOSERS[word]:
                return False, other
            self.stack = around
            if word == ")":
                closable = inside
                self._inside(stacks, inside)
            elif word == "}":
                self.clause = frame == "{c"
            operand = word != "}"
        elif word in ("*", "+", "?"):
            # In an expression "*" multiplies; counted all the same, as the rare (ex:a*2)*3 is 2 deep.
            if self.closable is not None:
                self.closures = max(self.closures, self.closable + 1)
                self._inside(stacks, self.closable + 1)
            operand = False
        else:
            operand = False
        if word in _CLAUSE_ENDS and (stacks.frames[self.stack][0] or "{") in _GROUPS:
            self.clause = False
        self.end = end
        self.operand, self.closable = operand, closable
        return True, other


def _deepest(text: str, tokens: int) -> Nesting:
    """The deepest nesting of any reading of ``text`` (``tokens`` long as the tokenizer reads it), and
    the most tokens of any."""
    stacks = _Stacks()
    groups = brackets = closures = reads = 0
    budget = 2 * tokens + len(text) // 2 + EXTRA_READS
    alive: dict[tuple[int, int], _Reading] = {}

    def add(reading: _Reading) -> None:
        key = (reading.end, reading.stack)
        if key in alive:
            alive[key].merge(reading)
        else:
            alive[key] = reading

    add(_Reading(_lex(text, 0)))
    while alive:
        if len(alive) > MAX_READINGS or reads > budget:
            raise AmbiguousQuery(
                "the query has too many places where '<' may start an IRI or be less-than to be checked; "
                "put spaces around comparison operators"
            )
        reading = min(alive.values(), key=lambda r: r.end)
        del alive[(reading.end, reading.stack)]
        while True:  # a reading alone goes on here; with others, they take turns in the order of the text
            token = next(reading.stream, None)
            goes_on, other = reading.read(text, stacks, token) if token is not None else (False, None)
            reads += 1
            if other is not None:
                add(other)
            if not goes_on:
                groups = max(groups, reading.groups)
                brackets = max(brackets, reading.brackets)
                closures = max(closures, reading.closures)
                tokens = max(tokens, reading.tokens)
                break
            if alive:
                add(reading)
                break
    return Nesting(groups, brackets, closures, tokens)


def count_tokens(text: str) -> int:
    """The tokens of ``text`` (white space and comments are not).

    >>> count_tokens("ASK { ?s a <http://e/C> } # done")
    6
    """
    return sum(1 for m in _LEXER.finditer(text) if m.lastgroup not in _SKIPPED)


def measure_nesting(text: str) -> Nesting:
    """How deeply ``text`` nests: the deepest of every way a SPARQL parser may read it.

    The tokenizer's reading is exact but for ``<``, which a parser reads as an IRI's start or, in an
    expression, as less-than: then what the tokenizer took for an IRI is code (``?a<STR(STR(?b))>?c``
    hides two calls). Every ``<`` that may be either is followed both ways, and readings that meet
    again (at the same place, with the same brackets open) are merged. ``\\u`` escapes are read both
    resolved (as SPARQL 1.1 says) and not (as pyoxigraph does). Raises :class:`AmbiguousQuery` for a
    text with more readings than :data:`MAX_READINGS` at once or too many tokens to read in all.
    The work is linear in the tokens: check a token limit (:func:`count_tokens`) first.

    >>> measure_nesting("ASK { ?s (<p>/(<q>)*)+ ?o FILTER(?a < STR(?b)) }")
    Nesting(groups=1, brackets=2, closures=2, tokens=23)
    >>> measure_nesting("ASK { FILTER(?a<STR(STR(?b))>?c) }").brackets
    3
    """
    found = [_deepest(t, count_tokens(t)) for t in dict.fromkeys((text, _unescape_codepoints(text)))]
    return Nesting(*(max(getattr(f, name) for f in found) for name in ("groups", "brackets", "closures", "tokens")))
