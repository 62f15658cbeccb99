"""Display labels (English message ids) of the catalog's enums, translated in templates."""

from __future__ import annotations

from govhub.core.i18n import N_
from govhub.data.catalog.models import (
    FieldType,
    OpeningType,
    SecurityClass,
    Sensitivity,
    SharingType,
    Theme,
    UpdateFrequency,
)

SHARING: dict[str, str] = {
    SharingType.UNCONDITIONAL: N_("Shared unconditionally"),
    SharingType.CONDITIONAL: N_("Shared on conditions"),
    SharingType.NOT_SHARED: N_("Not shared"),
}
OPENING: dict[str, str] = {
    OpeningType.OPEN: N_("Open to the public"),
    OpeningType.CONDITIONAL: N_("Open on conditions"),
    OpeningType.NOT_OPEN: N_("Not open"),
}
SECURITY: dict[str, str] = {
    SecurityClass.CORE: N_("Core data"),
    SecurityClass.IMPORTANT: N_("Important data"),
    SecurityClass.GENERAL: N_("General data"),
}
SENSITIVITY: dict[str, str] = {
    Sensitivity.PUBLIC: N_("Public"),
    Sensitivity.INTERNAL: N_("Internal"),
    Sensitivity.SENSITIVE: N_("Sensitive"),
    Sensitivity.HIGHLY_SENSITIVE: N_("Highly sensitive"),
}
FREQUENCY: dict[str, str] = {
    UpdateFrequency.REAL_TIME: N_("Real time"),
    UpdateFrequency.DAILY: N_("Daily"),
    UpdateFrequency.WEEKLY: N_("Weekly"),
    UpdateFrequency.MONTHLY: N_("Monthly"),
    UpdateFrequency.QUARTERLY: N_("Quarterly"),
    UpdateFrequency.ANNUAL: N_("Annually"),
    UpdateFrequency.IRREGULAR: N_("Irregularly"),
    UpdateFrequency.NEVER: N_("Never"),
}
THEMES: dict[str, str] = {
    Theme.ECONOMY: N_("Economy"),
    Theme.MARKET: N_("Market entities"),
    Theme.TAXATION: N_("Taxation"),
    Theme.POPULATION: N_("Population"),
    Theme.SOCIAL_SECURITY: N_("Social security"),
    Theme.HEALTH: N_("Health"),
    Theme.EDUCATION: N_("Education"),
    Theme.TRANSPORT: N_("Transport"),
    Theme.ENVIRONMENT: N_("Environment"),
    Theme.CREDIT: N_("Credit"),
    Theme.PUBLIC_SAFETY: N_("Public safety"),
    Theme.URBAN: N_("Urban construction"),
    Theme.AGRICULTURE: N_("Agriculture"),
    Theme.GOVERNMENT: N_("Government affairs"),
}
FIELD_TYPES: dict[str, str] = {t: t.value for t in FieldType}

ALL = {
    "sharing_labels": SHARING,
    "opening_labels": OPENING,
    "security_labels": SECURITY,
    "sensitivity_labels": SENSITIVITY,
    "frequency_labels": FREQUENCY,
    "theme_labels": THEMES,
    "field_types": FIELD_TYPES,
}
