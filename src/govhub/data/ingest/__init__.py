"""Ingestion: files (CSV in any common encoding and delimiter, xlsx, JSON/NDJSON, Parquet)
become immutable, versioned Parquet datasets of a catalog resource.

* `readers` stream each format as pyarrow record batches. The schema is inferred from the
  first batch and every later batch must match it; a mismatch is a bad file, not a silent cast.
* `pipeline` writes the batches to a local temporary Parquet file with bounded memory, then
  computes its SHA-256, row count and schema. Nothing reaches storage until the file is whole.
* `service` records the `DatasetVersion` (version n+1) and a `dataset_published` ledger event in
  the caller's transaction, then stores the Parquet object under a key of its own; any failure
  removes the object, and the transaction rolls back, so nothing is ever half-published.
* `jobs` and `runner` run loads in the background (`tasks`: a thread pool in the app) with
  progress, quarantine and a report; `sources` and `pull` read tables of registered databases;
  `gc` finds storage objects no row owns; `pages` is the upload wizard.
* Bad files raise `InvalidInput` with a `reason` (encoding, ragged, type_changed, empty,
  too_large, zip_bomb, unsupported, malformed) and, where known, the `line` and `column`.
"""
