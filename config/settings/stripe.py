"""Stripe. Without STRIPE_SECRET_KEY billing runs in free mode and every other feature works."""
from .env import env_str

STRIPE_SECRET_KEY = env_str("STRIPE_SECRET_KEY")
STRIPE_WEBHOOK_SECRET = env_str("STRIPE_WEBHOOK_SECRET")
# Points the stripe client at another server (the tests' local fake).
STRIPE_API_BASE = env_str("STRIPE_API_BASE")
