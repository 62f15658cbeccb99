"""Data lineage: which inputs and transformations produced each dataset, down to columns."""
