"""The matter catalog: standard matters, their per-division instances, bundles and search."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from govhub.core.errors import NotFound
from govhub.identity.models import Department, Division
from govhub.services import search as matter_search
from govhub.services.models import Bundle, Matter, MatterInstance
from govhub.services.schemas import MatterHit
from govhub.services.standard import BUNDLES, MATTERS


def load_standard(session: Session) -> int:
    """Insert the standard matters and bundles that are missing, and instantiate every matter
    in each division with a department of its type; return the number of rows added."""
    added = 0
    existing = {m.code: m for m in session.scalars(select(Matter))}
    for std in MATTERS:
        if std.code in existing:
            continue
        matter = Matter(
            code=std.code,
            name_zh=std.name_zh,
            name_en=std.name_en,
            department_type=std.department_type,
            legal_basis=std.legal_basis,
            conditions=std.conditions,
            keywords=std.keywords,
            materials=std.materials,
            fee_fen=std.fee_fen,
            statutory_days=std.statutory_days,
            promised_days=std.promised_days,
            promised_hours=std.promised_hours,
            online_depth=std.online_depth,
            process_key=std.process_key,
            form_schema=std.form_schema,
        )
        session.add(matter)
        existing[std.code] = matter
        added += 1
    bundle_codes = set(session.scalars(select(Bundle.code)))
    for b in BUNDLES:
        if b.code not in bundle_codes:
            session.add(
                Bundle(
                    code=b.code,
                    name_zh=b.name_zh,
                    name_en=b.name_en,
                    description=b.description,
                    matter_codes=list(b.matter_codes),
                )
            )
            added += 1
    session.flush()
    return added + instantiate(session)


def instantiate(session: Session) -> int:
    """Offer every matter in each division that has a department of its type (one per pair)."""
    have: set[tuple[object, str]] = {
        (m, d)
        for m, d in session.execute(select(MatterInstance.matter_id, MatterInstance.division_code))
    }
    departments = session.scalars(select(Department).order_by(Department.code)).all()
    added = 0
    for matter in session.scalars(select(Matter)):
        for dept in departments:
            key = (matter.id, dept.division_code)
            if dept.type == matter.department_type and key not in have:
                session.add(
                    MatterInstance(
                        matter_id=matter.id,
                        division_code=dept.division_code,
                        department_id=dept.id,
                    )
                )
                have.add(key)
                added += 1
    session.flush()
    return added


def list_matters(session: Session) -> list[Matter]:
    """List every matter, by code."""
    return list(session.scalars(select(Matter).order_by(Matter.code)))


def get_matter(session: Session, code: str) -> Matter:
    """Return the matter with `code`."""
    matter = session.scalars(select(Matter).where(Matter.code == code)).one_or_none()
    if matter is None:
        raise NotFound("no such matter")
    return matter


def get_matter_by_id(session: Session, matter_id: object) -> Matter:
    """Return the matter with id `matter_id` (GovStack addresses services by id)."""
    matter = session.get(Matter, matter_id)
    if matter is None:
        raise NotFound("no such service")
    return matter


def instance_for(session: Session, matter: Matter, division_code: str) -> MatterInstance:
    """Return the instance of `matter` in `division_code`."""
    instance = session.scalars(
        select(MatterInstance).where(
            MatterInstance.matter_id == matter.id,
            MatterInstance.division_code == division_code,
        )
    ).one_or_none()
    if instance is None:
        raise NotFound(f"matter {matter.code} is not offered in division {division_code}")
    return instance


def divisions_of(session: Session, matter: Matter) -> list[tuple[str, str]]:
    """Return (code, name) of the divisions that offer `matter`."""
    rows = session.execute(
        select(Division.code, Division.name)
        .join(MatterInstance, MatterInstance.division_code == Division.code)
        .where(MatterInstance.matter_id == matter.id)
        .order_by(Division.code)
    )
    return [(code, name) for code, name in rows]


def list_bundles(session: Session) -> list[Bundle]:
    """List the "one thing, one visit" bundles."""
    return list(session.scalars(select(Bundle).order_by(Bundle.code)))


def get_bundle(session: Session, code: str) -> Bundle:
    """Return the bundle with `code`."""
    bundle = session.scalars(select(Bundle).where(Bundle.code == code)).one_or_none()
    if bundle is None:
        raise NotFound("no such bundle")
    return bundle


def search(
    session: Session,
    query: str,
    *,
    limit: int = 20,
    embedder: matter_search.Embedder | None = None,
    semantic: bool = True,
) -> list[MatterHit]:
    """Search matters for `query` (Chinese or English), best first."""
    if not query.strip():
        return []
    matters = {m.code: m for m in list_matters(session)}
    docs = [
        matter_search.Document(m.code, f"{m.name_zh} {m.name_en}", m.keywords, m.conditions)
        for m in matters.values()
    ]
    if embedder is None and semantic:
        embedder = matter_search.default_embedder()
    ranked = matter_search.rank(query, docs, embedder=embedder, limit=limit)
    return [
        MatterHit(
            code=code,
            name_zh=matters[code].name_zh,
            name_en=matters[code].name_en,
            score=round(score, 4),
        )
        for code, score in ranked
    ]
