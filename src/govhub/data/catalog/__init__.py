"""The government data resource catalog: DCAT-style metadata, versions, scope and search."""
