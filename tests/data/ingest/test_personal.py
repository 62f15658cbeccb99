"""A load flags columns that look personal but that the catalog leaves unprotected."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.orm import Session

from govhub.data.ingest import service
from tests.data.helpers import make_resource
from tests.factories import World, make_id_number

CSV = "qymc,fddbr,zjhm,lxdh,zczb\n" + "".join(
    f"某公司{i},{name},{make_id_number(seq=f'{i:03d}')},1380000{i:04d},{i * 10}\n"
    for i, name in enumerate(["张伟", "王芳", "李娜", "刘洋", "陈静"])
)


def _load(
    session: Session, world: World, tmp_path: Path, fields: list[dict[str, object]]
) -> list[str]:
    resource = make_resource(session, world, fields=fields)
    source = tmp_path / "register.csv"
    source.write_text(CSV, encoding="utf-8")
    _, log = service.ingest(
        session,
        principal=world.principal(world.city_a_admin),
        resource_id=resource.id,
        source=source,
        filename=source.name,
    )
    return log.warnings


class TestFlags:
    def test_unprotected_personal_columns_are_flagged(
        self, session: Session, world: World, tmp_path: Path
    ) -> None:
        warnings = _load(session, world, tmp_path, [{"name": "qymc", "type": "string"}])
        flagged = sorted(w.split("'")[1] for w in warnings if "personal" in w)
        assert flagged == ["fddbr", "lxdh", "zjhm"]
        assert any("id_number, 100%" in w for w in warnings)

    def test_protected_columns_are_not_flagged(
        self, session: Session, world: World, tmp_path: Path
    ) -> None:
        fields: list[dict[str, object]] = [
            {"name": "fddbr", "type": "string", "is_personal": True},
            {"name": "zjhm", "type": "string", "element_code": "id_number"},
            {"name": "lxdh", "type": "string", "element_code": "mobile"},
        ]
        warnings = _load(session, world, tmp_path, fields)
        assert not [w for w in warnings if "personal" in w]
