"""Settings, split by concern. Each module reads its own environment variables.

Order matters: later modules read names defined by earlier ones.
"""
from .base import *  # noqa: F401,F403
from .database import *  # noqa: F401,F403
from .tenants import *  # noqa: F401,F403
from .api import *  # noqa: F401,F403
from .cache import *  # noqa: F401,F403
from .celery import *  # noqa: F401,F403
from .stripe import *  # noqa: F401,F403
from .sentry import *  # noqa: F401,F403
from .logging import *  # noqa: F401,F403
