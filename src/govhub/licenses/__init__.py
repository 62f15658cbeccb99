"""E-licenses: licenses issued as W3C verifiable credentials (vc+jwt, Ed25519), status lists."""
