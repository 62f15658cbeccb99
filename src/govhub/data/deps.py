"""Permission dependencies of the data center's API and pages."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from govhub.identity.deps import require
from govhub.identity.permissions import Permission
from govhub.identity.principal import Principal

CatalogEdit = Annotated[Principal, Depends(require(Permission.CATALOG_EDIT))]
CatalogRead = Annotated[Principal, Depends(require(Permission.CATALOG_READ))]
StandardsEdit = Annotated[Principal, Depends(require(Permission.STANDARDS_EDIT))]
