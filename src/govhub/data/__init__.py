"""The data center: data standards and the resource catalog (ingestion, quality, lineage later)."""
