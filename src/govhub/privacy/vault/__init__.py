"""Encryption at rest of dataset versions: envelope keys, a versioned master keyring, rotation.

Why this design (measured on this machine with DuckDB 2.0.0 and PyArrow 26, 10^6 rows):

* Parquet modular encryption with per-column keys was the first choice, but DuckDB reads only
  uniformly encrypted files (one key for footer and every column; ``column_keys`` is not
  implemented). DuckDB itself refuses to write encrypted Parquet without the httpfs extension
  (its built-in crypto module is read-only unless ``force_mbedtls_unsafe`` is set, which we will
  not do), and httpfs cannot be installed offline. Uniformly encrypted files written by PyArrow
  (``create_encryption_properties``) are readable only when a column chunk has one page and no
  row group is skipped: a filtered page query or a full export over such a file fails with
  "Computed AES tag differs from read AES tag". So Parquet-level encryption cannot serve the
  exchange gateway today.
* What is used instead is an envelope scheme. Each encrypted dataset version has a fresh random
  256-bit data key (DEK). The Parquet file is sealed with it in AES-256-GCM chunks of 1 MiB (the
  nonce is the chunk number, unique because the DEK is used for one object only; the associated
  data binds the object key, the chunk number and a final-chunk flag, so truncation, reordering
  and splicing fail). The DEK is wrapped with AES-256-GCM by a versioned master key; the
  associated data binds the master key id, the dataset's storage key, the ciphertext object and
  the plaintext digest. The wrapped DEK lives in a small *pointer* object stored under the
  version's storage key, so what a version resolves to changes by one atomic object replace.
* Readers decrypt a version once per process into an anonymous memory file (memfd, never a
  disk file) that DuckDB reads natively like any other file, through a uniquely named link
  (``reading.py``); the cache is bounded in bytes (``GOVHUB_VAULT_CACHE_BYTES``) and an entry
  is dropped as soon as the version's pointer changes (rotation, re-encryption, replacement).
  Decrypting the 10 MB version of 10^6 rows costs about 0.09 s once; afterwards a gateway page
  reads it as DuckDB reads the plain file.

Rotation adds a master key version and re-wraps every data key (only pointers are rewritten);
with re-encryption it seals each version under a fresh data key as a new object beside the old,
switches the pointer (one atomic object replace: the pointer *is* the version's current state,
so readers need no database session and no migration is needed), and deletes the old objects
only after the rotation's ledger entry committed. A reader that read an old pointer whose object
was just removed re-reads the pointer once. A master key can be retired when no pointer uses it.

Which versions are encrypted: by default (``GOVHUB_VAULT_MODE=personal``) those whose resource
marks a field personal or sensitive, maps it to a personal data element, or whose values PII
detection flags; ``all`` encrypts every version, ``off`` none.

Master keys come from ``GOVHUB_VAULT_KEYS`` (``id=base64,...``, the last one active) or from a
keyring file under the var directory (mode 0600), generated on first use outside production.
Keys are never logged or ledgered; the ledger records key ids and digests only.

The module lives in ``govhub.privacy`` (not ``core``) because deciding what to encrypt depends on
the privacy classification, and rotation walks catalog versions; ``core`` stays domain-free.
"""

from govhub.privacy.vault.keys import (
    Keyring,
    VaultError,
    VaultSettings,
    get_vault_settings,
    keyring_path,
    load_keyring,
    unwrap_dek,
    wrap_dek,
)
from govhub.privacy.vault.objects import (
    Pointer,
    discard_dataset,
    local_copy,
    read_bytes,
    read_pointer,
    should_encrypt,
    store_dataset,
)
from govhub.privacy.vault.reading import (
    Source,
    attach,
    cached_bytes,
    close,
    drop,
    forget,
    open_dataset,
)
from govhub.privacy.vault.rotation import Rotation, remove_objects, retire, rotate, usage

__all__ = [
    "Keyring",
    "Pointer",
    "Rotation",
    "Source",
    "VaultError",
    "VaultSettings",
    "attach",
    "cached_bytes",
    "close",
    "discard_dataset",
    "drop",
    "forget",
    "get_vault_settings",
    "keyring_path",
    "load_keyring",
    "local_copy",
    "open_dataset",
    "read_bytes",
    "read_pointer",
    "remove_objects",
    "retire",
    "rotate",
    "should_encrypt",
    "store_dataset",
    "unwrap_dek",
    "usage",
    "wrap_dek",
]
