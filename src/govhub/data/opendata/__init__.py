"""Open government data: the public portal, its CKAN-compatible API and DCAT-AP export."""
