"""Password hashing: Argon2id with OWASP's recommended minimum (19 MiB, 2 passes, 1 lane).

Django's default Argon2 parameters (100 MiB, 2 passes, 8 lanes) cost ~190 ms per hash on a
2-core host, paid at every signup and sign-in; this configuration costs ~33 ms there and is one
OWASP lists as adequate (Password Storage Cheat Sheet). Hashes made with other parameters
still verify and are upgraded at the next sign-in.
"""
from django.contrib.auth.hashers import Argon2PasswordHasher


class Argon2idPasswordHasher(Argon2PasswordHasher):
    time_cost = 2
    memory_cost = 19456
    parallelism = 1
