"""Who is asking: the identity every service receives, and what it may see and change."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from types import MappingProxyType


class Role(StrEnum):
    """Roles within one organisation, strongest first."""

    ADMIN = "admin"
    EDITOR = "editor"
    MEMBER = "member"


class Scope(StrEnum):
    READ = "read"
    WRITE = "write"


@dataclass(frozen=True, slots=True)
class Actor:
    user_id: str | None
    name: str
    sysadmin: bool = False
    roles: Mapping[str, Role] = field(default_factory=lambda: MappingProxyType({}))
    scope: Scope = Scope.WRITE

    @property
    def authenticated(self) -> bool:
        return self.user_id is not None

    @property
    def can_write(self) -> bool:
        return self.authenticated and self.scope is Scope.WRITE

    def can_see_private_of(self, organization_id: str | None) -> bool:
        """Members of an organisation (any role) see its private datasets and drafts."""
        if self.sysadmin:
            return True
        return organization_id is not None and organization_id in self.roles

    def can_edit_in(self, organization_id: str | None) -> bool:
        if not self.can_write:
            return False
        if self.sysadmin:
            return True
        role = self.roles.get(organization_id) if organization_id else None
        return role in (Role.ADMIN, Role.EDITOR)

    def can_manage(self, organization_id: str | None) -> bool:
        if not self.can_write:
            return False
        return self.sysadmin or (
            organization_id is not None and self.roles.get(organization_id) is Role.ADMIN
        )

    @property
    def visible_organizations(self) -> frozenset[str]:
        return frozenset(self.roles)


ANONYMOUS = Actor(user_id=None, name="anonymous", scope=Scope.READ)
# Internal work (the demo loader, harvest and job runners) acts as this site administrator.
SYSTEM = Actor(user_id="system", name="system", sysadmin=True)
