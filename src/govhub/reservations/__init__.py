"""Surge-proof reservations: campaigns with quotas, first-come-first-served booking and
verifiable lotteries, signed pickup codes, and admission control (see `service`)."""
