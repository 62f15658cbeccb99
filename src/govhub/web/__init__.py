"""The web shell: layout, shared pages, static assets and translations."""
