"""The open data portal's machine interfaces: a CKAN-compatible Action API over public datasets."""
