"""A realistic, deterministic demo province: divisions, departments, officials, residents and
enterprises, with well-known logins. Demo-only: it shares one published password."""

from govhub.demo.loader import LoadReport, load_demo
from govhub.demo.logins import DEMO_LOGINS, DEMO_PASSWORD, DemoLogin
from govhub.demo.plan import (
    DEFAULT_CITIZENS,
    DEFAULT_ENTERPRISES,
    DEFAULT_SEED,
    DemoPlan,
    build_plan,
)

__all__ = [
    "DEFAULT_CITIZENS",
    "DEFAULT_ENTERPRISES",
    "DEFAULT_SEED",
    "DEMO_LOGINS",
    "DEMO_PASSWORD",
    "DemoLogin",
    "DemoPlan",
    "LoadReport",
    "build_plan",
    "load_demo",
]
