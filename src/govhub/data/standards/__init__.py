"""Data standards: the data element dictionary, its validators and mapping suggestions."""
