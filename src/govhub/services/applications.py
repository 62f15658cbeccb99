"""Applications: uploaded materials, submission (form validated against the matter's JSON
Schema, required materials checked, an idempotency key against double submission), the
applicant's own view and the correction loop."""

from __future__ import annotations

import hashlib
import uuid
from datetime import datetime
from typing import Any

from jsonschema import Draft202012Validator  # type: ignore[import-untyped]
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from govhub.core.db import utcnow
from govhub.core.errors import Conflict, InvalidInput, NotFound, PayloadTooLarge
from govhub.core.storage import get_storage
from govhub.identity.principal import Principal
from govhub.ledger import service as ledger
from govhub.ledger.recording import payload_digest
from govhub.ledger.schemas import EntryKind
from govhub.services import catalog, connections, timers, workflow
from govhub.services.models import (
    Application,
    ApplicationStatus,
    Bundle,
    Material,
    Matter,
    Task,
    TaskStatus,
)
from govhub.services.schemas import (
    ApplicationCreate,
    ApplicationRead,
    CorrectionCreate,
    MaterialRead,
    TaskRead,
)

MAX_MATERIAL_BYTES = 10 * 1024 * 1024
# Accepted document types and the bytes their files begin with.
SIGNATURES = {
    "application/pdf": (b"%PDF-",),
    "image/png": (b"\x89PNG\r\n\x1a\n",),
    "image/jpeg": (b"\xff\xd8\xff",),
}


def upload(
    session: Session,
    *,
    principal: Principal,
    filename: str,
    content_type: str,
    data: bytes,
    material_code: str | None = None,
) -> Material:
    """Store a document of the caller after checking its type (declared and actual) and size."""
    if principal.account_id is None:  # pragma: no cover - machine clients hold no apply right
        raise InvalidInput("documents belong to accounts")
    if not data:
        raise InvalidInput("the file is empty", field="file")
    if len(data) > MAX_MATERIAL_BYTES:
        raise PayloadTooLarge(f"a document may hold at most {MAX_MATERIAL_BYTES} bytes")
    signatures = SIGNATURES.get(content_type)
    if signatures is None:
        allowed = ", ".join(sorted(SIGNATURES))
        raise InvalidInput(f"documents must be one of: {allowed}", field="file")
    if not data.startswith(signatures):
        raise InvalidInput(f"the file's content is not {content_type}", field="file")
    material = Material(
        id=uuid.uuid4(),
        owner_id=principal.account_id,
        material_code=material_code,
        filename=(filename or "document")[-200:],
        content_type=content_type,
        size=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
        storage_key="",
    )
    material.storage_key = f"services/materials/{principal.account_id}/{material.id}"
    get_storage().put(material.storage_key, data)
    session.add(material)
    session.flush()
    return material


def validate_form(schema: dict[str, Any], form: dict[str, Any], *, prefix: str = "form") -> None:
    """Raise InvalidInput naming every field of `form` that breaks `schema`."""
    validator = Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)
    errors = sorted(validator.iter_errors(form), key=lambda e: list(e.absolute_path))
    if errors:
        raise InvalidInput(
            f"{len(errors)} form field(s) failed validation",
            errors=[
                {
                    "field": ".".join([prefix, *(str(p) for p in e.absolute_path)]),
                    "message": e.message,
                }
                for e in errors
            ],
        )


def _documents(session: Session, principal: Principal, ids: list[uuid.UUID]) -> list[Material]:
    if not ids:
        return []
    found = list(
        session.scalars(
            select(Material).where(
                Material.id.in_(ids),
                Material.owner_id == principal.account_id,
                Material.application_id.is_(None),
            )
        )
    )
    if len(found) != len(set(ids)):
        raise InvalidInput("unknown or already attached document", field="document_ids")
    return found


def _check_materials(matters: list[Matter], documents: list[Material]) -> None:
    supplied = {d.material_code for d in documents}
    missing = sorted(
        {
            f"{m['code']} ({m['name']})"
            for matter in matters
            for m in matter.materials
            if m.get("required")
            and not m.get("license_type")
            and not m.get("resource")
            and m["code"] not in supplied
        }
    )
    if missing:
        raise InvalidInput(
            "missing required materials: " + ", ".join(missing), field="document_ids"
        )


def fetched_materials(matters: list[Matter]) -> list[dict[str, Any]]:
    """Return the materials the government already holds (e-licenses, shared data): once-only,
    the applicant never uploads them."""
    seen: dict[str, dict[str, Any]] = {}
    for matter in matters:
        for m in matter.materials:
            if m.get("license_type") or m.get("resource"):
                seen.setdefault(m["code"], m)
    return [seen[k] for k in sorted(seen)]


def _matters_of(application: Application, session: Session) -> list[Matter]:
    if application.matter_id is not None:
        matter = session.get(Matter, application.matter_id)
        return [matter] if matter is not None else []
    bundle = session.get(Bundle, application.bundle_id)
    codes = bundle.matter_codes if bundle is not None else []
    return list(session.scalars(select(Matter).where(Matter.code.in_(codes))))


def _prepare_matter(
    session: Session, application: Application, data: ApplicationCreate
) -> tuple[list[Matter], workflow.Process]:
    matter = catalog.get_matter(session, data.matter_code or "")
    instance = catalog.instance_for(session, matter, data.division_code)
    validate_form(matter.form_schema, data.form)
    application.matter_id = matter.id
    application.department_id = instance.department_id
    limits = _limits(application, [matter], application.submitted_at)
    return [matter], workflow.start(matter.process_key, {"matter_code": matter.code, **limits})


def _limits(application: Application, matters: list[Matter], start: datetime) -> dict[str, str]:
    """Set the application's time limit from `start`; return the process's timer data."""
    application.due_at = timers.time_limit(start, matters)
    return timers.process_limits(start, application.due_at)


def _prepare_bundle(
    session: Session, application: Application, data: ApplicationCreate
) -> tuple[list[Matter], workflow.Process]:
    bundle = catalog.get_bundle(session, data.bundle_code or "")
    matters = [catalog.get_matter(session, code) for code in bundle.matter_codes]
    unknown = sorted(set(data.form) - {m.code for m in matters})
    if unknown:
        raise InvalidInput(f"unknown form sections: {', '.join(unknown)}", field="form")
    parts = []
    for matter in matters:
        instance = catalog.instance_for(session, matter, data.division_code)
        section = data.form.get(matter.code)
        if not isinstance(section, dict):
            raise InvalidInput(f"the form needs a section {matter.code}", field="form")
        validate_form(matter.form_schema, section, prefix=f"form.{matter.code}")
        parts.append({"matter_code": matter.code, "department_id": str(instance.department_id)})
    application.bundle_id = bundle.id
    limits = _limits(application, matters, application.submitted_at)
    return matters, workflow.start("bundle_parallel", {"parts": parts, **limits})


def submit(
    session: Session,
    *,
    principal: Principal,
    data: ApplicationCreate,
    idempotency_key: str | None = None,
) -> tuple[Application, bool]:
    """Submit an application and start its process; return it and whether it is new.

    A retry with the same idempotency key and form returns the first application; the same key
    with another form, or an identical application still under way, is a conflict."""
    if principal.account_id is None:  # pragma: no cover - machine clients hold no apply right
        raise InvalidInput("applications belong to accounts")
    if (data.matter_code is None) == (data.bundle_code is None):
        raise InvalidInput("name exactly one of matter_code and bundle_code", field="matter_code")
    digest = payload_digest(
        {"matter": data.matter_code, "bundle": data.bundle_code, "form": data.form,
         "division": data.division_code}
    )  # fmt: skip
    if idempotency_key is not None:
        earlier = session.scalars(
            select(Application).where(
                Application.applicant_id == principal.account_id,
                Application.idempotency_key == idempotency_key,
            )
        ).one_or_none()
        if earlier is not None:
            if earlier.form_digest != digest:
                raise Conflict("this Idempotency-Key was used for another application")
            return earlier, False
    duplicate = session.scalars(
        select(Application.id).where(
            Application.applicant_id == principal.account_id,
            Application.form_digest == digest,
            Application.status.in_([ApplicationStatus.IN_REVIEW, ApplicationStatus.CORRECTION]),
        )
    ).first()
    if duplicate is not None:
        raise Conflict("an identical application is already under way", application=str(duplicate))

    now = utcnow()
    application = Application(
        id=uuid.uuid4(),
        applicant_id=principal.account_id,
        division_code=data.division_code,
        form=data.form,
        form_digest=digest,
        status=ApplicationStatus.IN_REVIEW,
        idempotency_key=idempotency_key,
        submitted_at=now,
    )
    if data.matter_code is not None:
        matters, process = _prepare_matter(session, application, data)
    else:
        matters, process = _prepare_bundle(session, application, data)
    documents = _documents(session, principal, data.document_ids)
    _check_materials(matters, documents)
    provided = connections.provided_licenses(
        session, principal=principal, matters=matters, tokens=data.license_tokens
    )
    application.workflow_state = workflow.dump(process)
    if idempotency_key is None:
        session.add(application)
        session.flush()
    else:
        try:
            with session.begin_nested():
                session.add(application)
                session.flush()
        except IntegrityError as exc:  # a concurrent retry with the same key won the race
            raise Conflict("this Idempotency-Key is being used by another submission") from exc
    for document in documents:
        document.application_id = application.id
    connections.attach_licenses(session, application, provided)
    connections.raise_fee(session, application, matters)
    workflow.sync_tasks(session, application, process, new=True)
    ledger.record(
        session,
        kind=EntryKind.APPLICATION_SUBMITTED,
        actor=ledger.actor_of(principal),
        subject=f"application:{application.id}",
        payload={
            "application": str(application.id),
            "matters": [m.code for m in matters],
            "division": data.division_code,
            "form_digest": digest,
        },
    )
    session.flush()
    return application, True


def list_own(
    session: Session, *, principal: Principal, limit: int = 50, offset: int = 0
) -> list[Application]:
    """List the caller's applications, newest first."""
    return list(
        session.scalars(
            select(Application)
            .where(Application.applicant_id == principal.account_id)
            .order_by(Application.submitted_at.desc(), Application.id)
            .limit(limit)
            .offset(offset)
        )
    )


def get_own(session: Session, *, principal: Principal, application_id: uuid.UUID) -> Application:
    """Return one of the caller's applications (anyone else's: not found)."""
    application = session.get(Application, application_id)
    if application is None or application.applicant_id != principal.account_id:
        raise NotFound("no such application")
    return application


def correct(
    session: Session,
    *,
    principal: Principal,
    application_id: uuid.UUID,
    data: CorrectionCreate,
) -> Application:
    """Send a corrected form back after a correction request; it returns to acceptance."""
    application = get_own(session, principal=principal, application_id=application_id)
    if application.status is not ApplicationStatus.CORRECTION:
        raise Conflict("the application is not waiting for a correction")
    matters = _matters_of(application, session)
    if application.matter_id is not None:
        validate_form(matters[0].form_schema, data.form)
    documents = _documents(session, principal, data.document_ids)
    earlier = list(
        session.scalars(select(Material).where(Material.application_id == application.id))
    )
    _check_materials(matters, earlier + documents)
    task = session.scalars(
        select(Task).where(
            Task.application_id == application.id,
            Task.step == workflow.CORRECTION_STEP,
            Task.status == TaskStatus.OPEN,
        )
    ).one()
    for document in documents:
        document.application_id = application.id
    application.form = data.form
    application.form_digest = payload_digest(
        {"application": str(application.id), "form": data.form}
    )
    # The time limit runs afresh from the corrected application.
    limits = _limits(application, matters, utcnow())
    return workflow.advance(session, application, task, outcome=None, actor=principal, data=limits)


def to_read(session: Session, application: Application) -> ApplicationRead:
    """Shape an application with its tasks, documents and once-only materials."""
    tasks = session.scalars(
        select(Task).where(Task.application_id == application.id).order_by(Task.created_at)
    )
    materials = session.scalars(select(Material).where(Material.application_id == application.id))
    read = ApplicationRead.model_validate(application)
    read.tasks = [task_read(t) for t in tasks]
    read.materials = [MaterialRead.model_validate(m) for m in materials]
    read.fetched_materials = fetched_materials(_matters_of(application, session))
    read.payment = connections.payment_of(session, application)
    read.license_ids = connections.issued_license_ids(session, application)
    return read


def task_read(task: Task) -> TaskRead:
    """Shape a task with its overdue flag."""
    read = TaskRead.model_validate(task)
    read.overdue = workflow.is_overdue(task)
    return read
