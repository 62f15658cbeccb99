"""Data sharing between departments: requests, owners' decisions and grants.

A grant is precise (fields, rows, per-field privacy treatment, consuming system, expiry) and
every step of its life is ledgered, so an owner can say yes safely and prove what was allowed.
"""
