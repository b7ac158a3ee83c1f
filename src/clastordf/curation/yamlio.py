"""YAML reading that remembers where every mapping and key came from, and refuses what a curation
file never holds: text that is not UTF-8, and aliases (``*name``), which would let a few lines
stand for millions of values (a "billion laughs")."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml


class Record(dict):
    """A YAML mapping that knows its own line and the line of each key."""

    line: int = 0
    key_lines: dict[str, int]
    duplicate_keys: list[tuple[str, int]]

    def line_of(self, key: str) -> int:
        return self.key_lines.get(key, self.line)


# libyaml's parser is several times faster than the pure-Python one and keeps node marks.
if TYPE_CHECKING:  # the type checker cannot follow the getattr; both loaders have the same API
    _BaseLoader = yaml.SafeLoader
else:
    _BaseLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _LineLoader(_BaseLoader):
    def construct_object(self, node: yaml.Node, deep: bool = False) -> Any:
        # The composer gives an alias the node of its anchor, so a node met twice is an alias of it.
        if node in self.constructed_objects or node in self.recursive_objects:
            raise yaml.constructor.ConstructorError(
                None,
                None,
                "the value anchored here (&name) is used again through an alias (*name); curation files "
                "do not use anchors and aliases: write the value out",
                node.start_mark,
            )
        return super().construct_object(node, deep)


def _construct_record(loader: _LineLoader, node: yaml.MappingNode) -> Record:
    loader.flatten_mapping(node)
    record = Record()
    record.line = node.start_mark.line + 1
    record.key_lines = {}
    record.duplicate_keys = []
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        line = key_node.start_mark.line + 1
        if key in record:
            record.duplicate_keys.append((str(key), line))
        record[key] = loader.construct_object(value_node, deep=True)
        record.key_lines[str(key)] = line
    return record


_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_record)


class CurationFileError(Exception):
    """A curation file that cannot be read: which, where (line 0: the whole file) and why."""

    def __init__(self, path: Path, line: int, message: str):
        self.path, self.line, self.message = path, line, message
        super().__init__(f"{path}:{line}: {message}" if line else f"{path}: {message}")


class YamlSyntaxError(CurationFileError):
    """A file that is not valid YAML (or uses what curation files do not)."""


def read_utf8(path: Path) -> str:
    """The text of ``path``, which must be UTF-8; anything else (a binary file, Latin-1 text) is a
    :class:`CurationFileError` naming the first bad byte.

    >>> import tempfile
    >>> path = Path(tempfile.mkdtemp()) / "facts.yaml"
    >>> _ = path.write_bytes("facts:\\n  - label: café\\n".encode("latin-1"))
    >>> try:
    ...     read_utf8(path)
    ... except CurationFileError as err:
    ...     print(err.line, err.message)
    2 not UTF-8 text (byte 0xe9 at offset 21)
    """
    data = path.read_bytes()
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as err:
        line = data.count(b"\n", 0, err.start) + 1
        raise CurationFileError(
            path, line, f"not UTF-8 text (byte 0x{data[err.start]:02x} at offset {err.start})"
        ) from None


def load(path: Path) -> Any:
    """Load a YAML file into :class:`Record` mappings; syntax errors name the line."""
    text = read_utf8(path)
    try:
        return yaml.load(text, Loader=_LineLoader)  # noqa: S506 - a SafeLoader subclass
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else 0
        raise YamlSyntaxError(path, line, f"invalid YAML: {exc.problem or exc}") from exc
    except yaml.YAMLError as exc:
        raise YamlSyntaxError(path, 0, f"invalid YAML: {exc}") from exc
