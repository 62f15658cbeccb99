"""Import every domain's tables so `Base.metadata` is complete (for Alembic and tests)."""

from govhub.core.db import Base
from govhub.data import models as data_models
from govhub.identity import models as identity_models
from govhub.ledger import models as ledger_models
from govhub.licenses import models as licenses_models
from govhub.notifications import models as notifications_models
from govhub.payments import models as payments_models
from govhub.privacy import models as privacy_models
from govhub.ratings import models as ratings_models
from govhub.reservations import models as reservations_models
from govhub.reservations.health import models as health_models
from govhub.services import models as services_models
from govhub.services.proactive import models as proactive_models

__all__ = [
    "Base",
    "data_models",
    "health_models",
    "identity_models",
    "ledger_models",
    "licenses_models",
    "notifications_models",
    "payments_models",
    "privacy_models",
    "proactive_models",
    "ratings_models",
    "reservations_models",
    "services_models",
]
