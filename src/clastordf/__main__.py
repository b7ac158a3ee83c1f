"""``python -m clastordf``: the same command line as ``clastordf``."""

import sys

from .cli import main

sys.exit(main())
