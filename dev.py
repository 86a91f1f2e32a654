#!/usr/bin/env python3
"""Set up, run and test the CRM on a fresh machine that has only Python 3.11.

    python3 dev.py demo     install everything, migrate, load the demo tenant, start web + worker + beat
    python3 dev.py test     install everything (Chromium too, where possible) and run the whole test suite
    python3 dev.py lock     re-pin constraints.txt from a clean install of pyproject.toml

Without DATABASE_URL the demo uses an embedded PostgreSQL (pgserver) in ./var; the tests use
PostgreSQL on 127.0.0.1:5432 when it answers, and the embedded one otherwise. Redis on
127.0.0.1:6379 is used the same way. Only the standard library is used before the virtualenv exists.
"""
from __future__ import annotations

import hashlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
PY = VENV / "bin" / "python"
STAMP = VENV / ".installed"
CHROMIUM_CANDIDATES = ["/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"]


def say(message: str) -> None:
    print(f"\033[1m==> {message}\033[0m", flush=True)


def run(cmd: list[str], **kwargs) -> None:
    subprocess.run(cmd, check=True, cwd=ROOT, **kwargs)


def ensure_venv() -> None:
    """Create .venv and install the pinned dependencies; skipped when nothing changed."""
    if sys.version_info[:2] != (3, 11):
        sys.exit(f"Python 3.11 is required (this is {sys.version.split()[0]}).")
    wanted = hashlib.sha256(
        (ROOT / "pyproject.toml").read_bytes() + (ROOT / "constraints.txt").read_bytes()
    ).hexdigest()
    if STAMP.exists() and STAMP.read_text() == wanted and PY.exists():
        return
    if not PY.exists():
        say("Creating the virtual environment in .venv")
        venv.EnvBuilder(with_pip=True).create(VENV)
    say("Installing Python packages (pinned by constraints.txt)")
    run([str(PY), "-m", "pip", "install", "--quiet", "--upgrade", "pip"])
    run([str(PY), "-m", "pip", "install", "--quiet", "-c", "constraints.txt", "-e", ".[test]"])
    STAMP.write_text(wanted)


def port_open(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=1):
            return True
    except OSError:
        return False


def service_env(*, for_tests: bool) -> dict:
    env = dict(os.environ)
    env.setdefault("PYTHONUNBUFFERED", "1")
    if for_tests:
        env.setdefault("DJANGO_ENV", "test")
        if "DATABASE_URL" not in env and port_open("127.0.0.1", 5432):
            env["DATABASE_URL"] = "postgres://postgres@127.0.0.1:5432/crm"
        if "REDIS_URL" not in env and port_open("127.0.0.1", 6379):
            env["REDIS_URL"] = "redis://127.0.0.1:6379/15"
    return env


def chromium_path() -> str | None:
    found = os.environ.get("CHROMIUM_PATH") or next((p for p in CHROMIUM_CANDIDATES if Path(p).exists()), None)
    return found


def ensure_chromium() -> str | None:
    """Debian's chromium for the browser tests; installed with apt-get when we may."""
    path = chromium_path()
    if path:
        return path
    if shutil.which("apt-get") and hasattr(os, "geteuid") and os.geteuid() == 0:
        say("Installing Debian's chromium for the browser tests")
        env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
        try:
            subprocess.run(["apt-get", "update", "-qq"], check=True, env=env)
            subprocess.run(["apt-get", "install", "-y", "-qq", "--no-install-recommends", "chromium"], check=True, env=env)
        except subprocess.CalledProcessError as exc:
            print(f"!! could not install chromium: {exc}", flush=True)
    return chromium_path()


def cmd_test(args: list[str]) -> int:
    ensure_venv()
    env = service_env(for_tests=True)
    browser = ensure_chromium()
    if browser:
        env["CHROMIUM_PATH"] = browser
    else:
        print("\n!! WARNING: no Chromium could be installed; the browser tests will be SKIPPED.\n", flush=True)
    say(f"Database: {env.get('DATABASE_URL', 'embedded PostgreSQL (pgserver)')}; cache: {env.get('REDIS_URL', 'in-process')}")
    started = time.monotonic()
    result = subprocess.run([str(PY), "-m", "pytest", *args], cwd=ROOT, env=env)
    say(f"Test suite finished in {time.monotonic() - started:.0f} s")
    return result.returncode


def cmd_demo(args: list[str]) -> int:
    ensure_venv()
    env = service_env(for_tests=False)
    env.setdefault("DEBUG", "1")
    port = os.environ.get("PORT", "8000")
    env.setdefault("PUBLIC_PORT", port)
    manage = [str(PY), "manage.py"]
    say("Migrating the database (public schema, template schema, tenants)")
    run(manage + ["migrate_schemas", "--noinput", "-v", "0"], env=env)
    say("Loading the demo tenant")
    run(manage + ["demo_seed", "--port", port], env=env)

    processes = {
        "web": subprocess.Popen(manage + ["runserver", f"0.0.0.0:{port}", "--noreload"], cwd=ROOT, env=env),
        "worker": subprocess.Popen(
            [str(VENV / "bin" / "celery"), "-A", "config", "worker", "--loglevel", "INFO", "--concurrency", "2"], cwd=ROOT, env=env
        ),
        "beat": subprocess.Popen([str(VENV / "bin" / "celery"), "-A", "config", "beat", "--loglevel", "INFO"], cwd=ROOT, env=env),
    }
    say("Web, worker and beat are running; Ctrl-C stops them all")

    def stop(*_args):
        for process in processes.values():
            if process.poll() is None:
                process.terminate()
        for process in processes.values():
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
        sys.exit(0)

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    while True:
        for name, process in processes.items():
            if process.poll() is not None:
                print(f"!! {name} exited with {process.returncode}; stopping the rest", flush=True)
                stop()
        time.sleep(1)


def cmd_lock(args: list[str]) -> int:
    """Pin every package of a clean install into constraints.txt."""
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        builder = venv.EnvBuilder(with_pip=True)
        builder.create(tmp)
        python = str(Path(tmp) / "bin" / "python")
        run([python, "-m", "pip", "install", "--quiet", "-e", ".[test]"])
        frozen = subprocess.run([python, "-m", "pip", "freeze", "--exclude-editable"], check=True, capture_output=True, text=True).stdout
    lines = [line for line in frozen.splitlines() if line and not line.startswith(("-e", "crm"))]
    (ROOT / "constraints.txt").write_text(
        "# Exact versions for repeatable installs; regenerate with `python3 dev.py lock`.\n" + "\n".join(lines) + "\n"
    )
    say(f"constraints.txt pins {len(lines)} packages")
    return 0


COMMANDS = {"demo": cmd_demo, "test": cmd_test, "lock": cmd_lock}

if __name__ == "__main__":
    if len(sys.argv) < 2 or sys.argv[1] not in COMMANDS:
        sys.exit(__doc__)
    os.chdir(ROOT)
    sys.exit(COMMANDS[sys.argv[1]](sys.argv[2:]))
