"""Health codes: green, yellow or red by rules kept as data, issued as short-lived signed tokens."""
