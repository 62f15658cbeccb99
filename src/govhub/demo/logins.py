"""The well-known demo logins. Demo-only: never load the demo into a real deployment."""

from __future__ import annotations

from dataclasses import dataclass

from govhub.demo.people import CITIZEN_USERNAME, ENTERPRISE_USERNAME

# Every demo account shares this published password; it exists only in demo databases.
DEMO_PASSWORD = "govhub-demo-2026"  # noqa: S105 - the documented demo-only password


@dataclass(frozen=True, slots=True)
class DemoLogin:
    """A demo account worth signing in as, and who it is."""

    username: str
    who: str


DEMO_LOGINS: tuple[DemoLogin, ...] = (
    DemoLogin("admin", "platform administrator, 浙江省大数据发展管理局"),
    DemoLogin("hz-scjg-admin", "department administrator, 杭州市市场监督管理局"),
    DemoLogin("hz-approver", "approver, 杭州市市场监督管理局"),
    DemoLogin(CITIZEN_USERNAME, "a resident of the demo province"),
    DemoLogin(ENTERPRISE_USERNAME, "an enterprise registered in the demo province"),
)
