"""Good/bad reviews of completed services (GB/T 39734/39735) and their rectification."""
