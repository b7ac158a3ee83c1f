"""clastordf: a linked-data publisher for osteoclast-to-osteoblast coupling factors (clastokines)."""

__version__ = "0.1.0"
