"""Unified identity: divisions, departments, accounts, roles, authentication and authorization."""
