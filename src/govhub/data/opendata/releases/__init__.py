"""The release gate of the open data portal: de-identified releases of dataset versions, their
re-identification risk, and the decision to publish them."""
