"""The online-services domain's operations, in one place for the API and other domains.

Each lives in a module named for its job: `catalog` (matters, instances, bundles, search),
`applications` (materials, submission, correction), `workflow` (BPMN processes, inbox,
decisions, metrics), `timers` (reminders and escalations at the time limits) and `transfer`
(cross-region handling). Other domains (e-licenses, payments) subscribe to approvals by appending
to `on_approved`.
"""

from __future__ import annotations

from govhub.services.applications import (
    correct,
    fetched_materials,
    get_own,
    list_own,
    submit,
    task_read,
    to_read,
    upload,
    validate_form,
)
from govhub.services.catalog import (
    divisions_of,
    get_bundle,
    get_matter,
    get_matter_by_id,
    instance_for,
    instantiate,
    list_bundles,
    list_matters,
    load_standard,
    search,
)
from govhub.services.connections import renew_fee
from govhub.services.timers import TickReport, tick, tick_batch
from govhub.services.transfer import transfer
from govhub.services.workflow import (
    STEP_OUTCOMES,
    add_working_days,
    complete,
    get_task,
    inbox,
    is_overdue,
    on_approved,
    statistics,
)

__all__ = [
    "STEP_OUTCOMES",
    "TickReport",
    "add_working_days",
    "complete",
    "correct",
    "divisions_of",
    "fetched_materials",
    "get_bundle",
    "get_matter",
    "get_matter_by_id",
    "get_own",
    "get_task",
    "inbox",
    "instance_for",
    "instantiate",
    "is_overdue",
    "list_bundles",
    "list_matters",
    "list_own",
    "load_standard",
    "on_approved",
    "renew_fee",
    "search",
    "statistics",
    "submit",
    "task_read",
    "tick",
    "tick_batch",
    "to_read",
    "transfer",
    "upload",
    "validate_form",
]
