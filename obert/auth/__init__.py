"""Actors, roles, accounts and tokens."""

from obert.auth.actor import ANONYMOUS, SYSTEM, Actor, Role, Scope

__all__ = ["ANONYMOUS", "SYSTEM", "Actor", "Role", "Scope"]
