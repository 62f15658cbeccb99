"""What the layout lists: the main navigation and the cards of the officials' workbench.

Both are plain tuples edited in this one place. Labels are English message ids marked with
`N_()`; the templates translate them per request, and `pybabel extract` finds them here.

Adding a page to the navigation (say `/appeals`, officials only)::

    NavItem("appeals", "/appeals", N_("Appeals"), audience=Audience.OFFICIALS),

Adding a workbench card::

    WorkbenchCard("appeals", N_("Citizen appeals"), N_("..."), icon="inbox",
                  permission=Permission.APPEALS_HANDLE, href="/appeals",
                  fragment="/appeals/fragments/mine")

`fragment` (optional) is a URL returning an HTML snippet; the card loads it with htmx.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from govhub.core.i18n import N_
from govhub.identity.permissions import Permission
from govhub.identity.principal import Principal


class Audience(StrEnum):
    """Who sees a navigation item."""

    EVERYONE = "everyone"
    SIGNED_IN = "signed_in"
    OFFICIALS = "officials"


@dataclass(frozen=True, slots=True)
class NavItem:
    """One entry of the main navigation."""

    key: str
    href: str
    label: str
    audience: Audience = Audience.EVERYONE
    icon: str = ""
    permission: Permission | None = None  # also needed, when set, to see the item

    def visible_to(self, principal: Principal | None) -> bool:
        """Tell whether `principal` (None: anonymous) sees this item."""
        if self.audience is Audience.EVERYONE:
            return True
        if principal is None:
            return False
        if self.permission is not None and not principal.can(self.permission):
            return False
        return self.audience is Audience.SIGNED_IN or principal.is_official

    def is_active(self, path: str) -> bool:
        """Tell whether `path` belongs to this item's section."""
        if self.href == "/":
            return path == "/"
        return path == self.href or path.startswith(self.href.rstrip("/") + "/")


NAV: tuple[NavItem, ...] = (
    NavItem("home", "/", N_("Home"), icon="home"),
    NavItem("services", "/services", N_("Services"), icon="services"),
    NavItem("opendata", "/open-data", N_("Open data"), icon="data"),
    NavItem("reservations", "/reservations", N_("Reservations"), icon="inbox"),
    NavItem("ledger", "/ledger", N_("Trust ledger"), icon="ledger"),
    NavItem("licenses", "/licenses", N_("E-licenses"), icon="id"),
    NavItem("ratings", "/ratings", N_("Service ratings"), icon="chart"),
    NavItem("workbench", "/workbench", N_("Workbench"), audience=Audience.OFFICIALS, icon="desk"),
    NavItem("catalog", "/catalog", N_("Catalog"), audience=Audience.OFFICIALS, icon="chart"),
    NavItem(
        "rating-cases",
        "/rating-cases",
        N_("Rectification cases"),
        audience=Audience.OFFICIALS,
        icon="alert",
        permission=Permission.RATINGS_HANDLE,
    ),
    NavItem("account", "/account", N_("Account"), icon="user"),
)


def visible_nav(principal: Principal | None) -> list[NavItem]:
    """Return the navigation items `principal` sees, in order."""
    return [item for item in NAV if item.visible_to(principal)]


@dataclass(frozen=True, slots=True)
class WorkbenchCard:
    """One section of the officials' workbench."""

    key: str
    title: str
    description: str
    icon: str = "desk"
    permission: Permission = Permission.WORKBENCH_USE
    href: str | None = None
    fragment: str | None = None


WORKBENCH_CARDS: tuple[WorkbenchCard, ...] = (
    WorkbenchCard(
        "applications",
        N_("Applications to review"),
        N_("Service applications waiting for your department's approval."),
        icon="inbox",
    ),
    WorkbenchCard(
        "catalog",
        N_("Data catalog"),
        N_("Your department's data resources, their fields and standards, and every version."),
        icon="data",
        permission=Permission.CATALOG_READ,
        href="/catalog",
    ),
    WorkbenchCard(
        "sharing",
        N_("Data sharing"),
        N_("Requests for your department's data, and the grants you hold on others' data."),
        icon="data",
        permission=Permission.SHARING_REQUEST,
        href="/sharing",
        fragment="/sharing/fragments/summary",
    ),
    WorkbenchCard(
        "appeals",
        N_("Citizen appeals"),
        N_("Complaints and suggestions assigned to your department, with their deadlines."),
        icon="chat",
    ),
    WorkbenchCard(
        "supervision",
        N_("Supervision"),
        N_("Risk alerts and inspection tasks for market entities in your jurisdiction."),
        icon="shield",
    ),
    WorkbenchCard(
        "reservations",
        N_("Reservation campaigns"),
        N_("Your department's campaigns with live figures per pickup point."),
        icon="inbox",
        permission=Permission.RESERVATIONS_MANAGE,
        href="/reservations/manage",
    ),
    WorkbenchCard(
        "ledger",
        N_("Trust ledger"),
        N_("Signed checkpoints and access records of every exchange of shared data."),
        icon="ledger",
        href="/ledger",
    ),
    WorkbenchCard(
        "licenses",
        N_("Issued licenses"),
        N_("E-licenses your department issued, their status, and revocation."),
        icon="id",
        permission=Permission.LICENSES_ISSUE,
        href="/licenses/issued",
    ),
    WorkbenchCard(
        "rating-cases",
        N_("Rectification cases"),
        N_("Bad ratings of your department's services: return visits, rectification, appeals."),
        icon="alert",
        permission=Permission.RATINGS_HANDLE,
        href="/rating-cases",
    ),
    WorkbenchCard(
        "officials",
        N_("Officials and roles"),
        N_("The officials of your department and the roles they hold."),
        icon="users",
        permission=Permission.ACCOUNTS_READ,
        href="/workbench/officials",
    ),
    WorkbenchCard(
        "health-checkpoint",
        N_("Health-code checkpoint"),
        N_("Verify residents' health codes with the platform's public key, offline."),
        icon="shield",
        permission=Permission.HEALTH_VERIFY,
        href="/health-code/checkpoint",
    ),
)


def visible_cards(principal: Principal) -> list[WorkbenchCard]:
    """Return the workbench cards `principal` may use."""
    return [card for card in WORKBENCH_CARDS if principal.can(card.permission)]
