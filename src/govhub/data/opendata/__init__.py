"""The open data portal: public datasets, the CKAN-compatible Action API and the DCAT-AP catalog."""
