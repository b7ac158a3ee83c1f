"""Curated TSV tables (the text-mechanism fates, the Figure 2 reconciliation): rows with their line.

A table is UTF-8, tab-separated, unquoted, with a fixed header. Blank lines are skipped; a missing
file, a wrong header and a row with the wrong number of cells are problems naming file and line.
"""

from __future__ import annotations

import csv
from pathlib import Path

from ..problems import Problem


def read_table(
    path: Path, columns: tuple[str, ...], where: str, missing: str
) -> tuple[list[tuple[int, list[str]]], list[Problem]]:
    """``(line, cells)`` of every row of ``path`` with exactly ``columns``, and the problems found.

    ``where`` names the file in problems; ``missing`` says what to do when it does not exist.

    >>> import tempfile
    >>> folder = Path(tempfile.mkdtemp())
    >>> _ = (folder / "t.tsv").write_text("a\\tb\\n1\\t2\\n\\n3\\n", encoding="utf-8")
    >>> rows, problems = read_table(folder / "t.tsv", ("a", "b"), "t.tsv", "make it")
    >>> rows, [str(p) for p in problems]
    ([(2, ['1', '2'])], ['t.tsv:4: 1 columns, expected 2 (tab-separated)'])
    """
    if not path.exists():
        return [], [Problem(where, 0, "", "", f"missing: {missing}")]
    rows: list[tuple[int, list[str]]] = []
    problems: list[Problem] = []
    with path.open(encoding="utf-8", newline="") as fh:
        reader = csv.reader(fh, delimiter="\t", quoting=csv.QUOTE_NONE)
        header = next(reader, None)
        if header is None or tuple(header) != columns:
            return [], [Problem(where, 1, "", "header", f"must be {' / '.join(columns)} (tab-separated)")]
        for cells in reader:
            if not any(c.strip() for c in cells):
                continue
            if len(cells) != len(columns):
                problems.append(
                    Problem(
                        where, reader.line_num, "", "", f"{len(cells)} columns, expected {len(columns)} (tab-separated)"
                    )
                )
                continue
            rows.append((reader.line_num, cells))
    return rows, problems
