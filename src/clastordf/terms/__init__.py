"""Identifiers: the committed term index, the pinned reference tables, identifier checks, refresh."""
