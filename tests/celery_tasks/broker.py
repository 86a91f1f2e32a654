"""Point the Celery app at another broker for one test (the producer pool is rebuilt)."""
from contextlib import contextmanager

from config.celery import app


def _reset_pools():
    # kombu keeps pools in a registry by broker address; dropping our reference is enough.
    app._pool = None
    app.amqp._producer_pool = None
    # The result backend is cached per thread once anything asked for it.
    app._local.__dict__.pop("backend", None)


@contextmanager
def using_broker(url: str, *, result_backend: str | None = None):
    original_url, original_backend = app.conf.broker_url, app.conf.result_backend
    app.conf.task_always_eager = False
    app.conf.broker_url = url
    if result_backend:
        app.conf.result_backend = result_backend
    _reset_pools()
    try:
        yield app
    finally:
        app.conf.broker_url = original_url
        app.conf.result_backend = original_backend
        app.conf.task_always_eager = True
        _reset_pools()
