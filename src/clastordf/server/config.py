"""Server settings, from arguments or ``CLASTORDF_*`` environment variables."""

from __future__ import annotations

import os
from dataclasses import dataclass, field, fields
from pathlib import Path

DEFAULT_BASE = "https://w3id.org/clastordf/"


@dataclass(frozen=True)
class ServerConfig:
    """Everything the app needs to know; immutable once the app is made.

    >>> ServerConfig(Path("build")).base
    'https://w3id.org/clastordf/'
    """

    build_dir: Path
    #: IRIs under this base dereference on this server (a deployment elsewhere sets its own).
    base: str = DEFAULT_BASE
    #: Seconds a SPARQL query may run before it is stopped and answered with an error.
    query_timeout: float = 10.0
    #: Rows (or triples) a response holds at most; a capped response says so.
    result_limit: int = 10_000
    #: Bytes a request body (or query string) may hold.
    max_request_bytes: int = 100_000
    #: Endpoints a query may reach with SERVICE; empty: SERVICE is refused.
    service_allowlist: tuple[str, ...] = field(default_factory=tuple)
    #: Query executor processes per server worker.
    executors: int = 2
    #: Reverse proxies in front of the server whose X-Forwarded-* headers are trusted (0: none),
    #: so absolute URLs (VoID, service description, JSON twins) name the public host.
    proxy_hops: int = 0

    @classmethod
    def from_env(cls, build_dir: Path | None = None, **overrides: object) -> ServerConfig:
        """Settings from ``CLASTORDF_BUILD_DIR``, ``CLASTORDF_BASE``, ``CLASTORDF_QUERY_TIMEOUT``,
        ``CLASTORDF_RESULT_LIMIT``, ``CLASTORDF_MAX_REQUEST_BYTES``, ``CLASTORDF_SERVICE_ALLOWLIST``
        (space-separated), ``CLASTORDF_EXECUTORS`` and ``CLASTORDF_PROXY_HOPS``; explicit ``overrides`` win."""
        values: dict[str, object] = {}
        env = os.environ
        for f in fields(cls):
            raw = env.get(f"CLASTORDF_{f.name.upper()}")
            if raw is None:
                continue
            if f.name == "build_dir":
                values[f.name] = Path(raw)
            elif f.name == "service_allowlist":
                values[f.name] = tuple(raw.split())
            elif f.name in ("query_timeout",):
                values[f.name] = float(raw)
            elif f.name in ("result_limit", "max_request_bytes", "executors", "proxy_hops"):
                values[f.name] = int(raw)
            else:
                values[f.name] = raw
        if build_dir is not None:
            values["build_dir"] = build_dir
        values.update({k: v for k, v in overrides.items() if v is not None})
        values.setdefault("build_dir", Path("build"))
        base = str(values.get("base", DEFAULT_BASE))
        values["base"] = base if base.endswith("/") else base + "/"
        return cls(**values)  # type: ignore[arg-type]
