"""Embedded PostgreSQL for machines with no database server (the demo, a laptop).

Used only when DATABASE_URL is unset. The `pgserver` package ships PostgreSQL binaries;
the cluster lives in the checkout's git-ignored `var/` folder and is shared by every
process of the checkout (web, worker, beat, manage.py): pgserver stops it when the last
of them exits.
"""
from __future__ import annotations

import fcntl
from pathlib import Path

_server = None


def embedded_database(var_dir: Path, name: str) -> dict:
    """Start (or join) the embedded cluster and return Django's DATABASES entry for `name`."""
    global _server
    import pgserver

    var_dir.mkdir(parents=True, exist_ok=True)
    # Two processes starting at once (web and worker) must not both run initdb.
    with open(var_dir / "pgserver.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if _server is None:
            _server = pgserver.get_server(var_dir / "pgdata", cleanup_mode="stop")
        exists = _server.psql(f"SELECT 1 FROM pg_database WHERE datname = '{name}';")
        if "(1 row)" not in exists:
            _server.psql(f'CREATE DATABASE "{name}";')
    return {
        "NAME": name,
        "USER": "postgres",
        "PASSWORD": "",
        # pgserver listens on a Unix socket inside its data folder.
        "HOST": str(var_dir / "pgdata"),
        "PORT": "",
    }
