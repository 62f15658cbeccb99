"""Import every domain's tables so `Base.metadata` is complete (for Alembic and tests)."""

from govhub.core.db import Base
from govhub.identity import models as identity_models

__all__ = ["Base", "identity_models"]
