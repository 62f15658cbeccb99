"""Infrastructure shared by every domain: settings, database, storage, errors, logging, i18n."""
