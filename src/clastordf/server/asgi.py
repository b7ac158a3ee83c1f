"""The ASGI entry point for other front servers: ``granian --interface asgi clastordf.server.asgi:app``
(``--http1-header-read-timeout``, ``--workers`` …: what :func:`.run.serve` sets), or any ASGI server that
limits the time to read headers. Settings come from the environment (``CLASTORDF_*``).

Importing this module makes no app: each worker process makes its own as it starts (ASGI lifespan), with
its own store handle, query executors and threads (see :mod:`.front`).
"""

from __future__ import annotations

from .config import ServerConfig
from .run import make_front

app = make_front(ServerConfig.from_env())
