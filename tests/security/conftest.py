from __future__ import annotations

from tests.security.fast_hash import fast_password_hashing

__all__ = ["fast_password_hashing"]
