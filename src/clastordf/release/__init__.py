"""Releases: make, describe, verify and compare versioned dumps; load them into Virtuoso."""
