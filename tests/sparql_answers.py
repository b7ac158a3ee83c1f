"""Comparing SPARQL answers of different engines (shared by the Virtuoso and backend tests)."""

from __future__ import annotations

import re


def group_concat_separators(query: str) -> dict[str, str]:
    """Variables bound by ``(GROUP_CONCAT(...) AS ?v)``, with their separators.

    SPARQL leaves the order of GROUP_CONCAT's values undefined, and Virtuoso and Oxigraph differ,
    so these values compare as multisets of their parts.

    >>> group_concat_separators('SELECT (GROUP_CONCAT(DISTINCT STR(?x); separator=", ") AS ?xs) WHERE {}')
    {'xs': ', '}
    """
    found = {}
    for start in (m.end() for m in re.finditer(r"GROUP_CONCAT\s*\(", query, re.IGNORECASE)):
        depth, end = 1, start
        while depth:
            depth += {"(": 1, ")": -1}.get(query[end], 0)
            end += 1
        args = query[start : end - 1]
        name = re.match(r"\s*AS\s+\?(\w+)", query[end:], re.IGNORECASE)
        separator = re.search(r";\s*separator\s*=\s*(['\"])(.*?)\1", args, re.IGNORECASE)
        if name:
            found[name.group(1)] = separator.group(2) if separator else " "
    return found
