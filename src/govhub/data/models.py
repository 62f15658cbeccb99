"""Import every table of the data center (for `govhub.models` and Alembic)."""

from govhub.data.catalog import models as catalog_models
from govhub.data.lineage import models as lineage_models
from govhub.data.standards import models as standards_models

__all__ = ["catalog_models", "lineage_models", "standards_models"]
