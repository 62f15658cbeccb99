"""Import every table of the data center (for `govhub.models` and Alembic)."""

from govhub.data.catalog import models as catalog_models
from govhub.data.exchange import models as exchange_models
from govhub.data.ingest import models as ingest_models
from govhub.data.lineage import models as lineage_models
from govhub.data.opendata import models as opendata_models
from govhub.data.opendata.releases import models as release_models
from govhub.data.quality import models as quality_models
from govhub.data.sharing import models as sharing_models
from govhub.data.standards import models as standards_models

__all__ = [
    "catalog_models",
    "exchange_models",
    "ingest_models",
    "lineage_models",
    "opendata_models",
    "quality_models",
    "release_models",
    "sharing_models",
    "standards_models",
]
