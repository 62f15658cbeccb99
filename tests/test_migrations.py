"""Migrations: the models and the Alembic head agree, and the chain upgrades and downgrades."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, inspect

from govhub.core.db import make_engine
from govhub.core.migrations import alembic_config, render_item, upgrade
from govhub.models import Base


class TestDrift:
    def test_models_match_the_migration_head(self, engine: Engine) -> None:
        with engine.connect() as conn:
            context = MigrationContext.configure(
                conn, opts={"compare_type": True, "render_item": render_item}
            )
            diff = compare_metadata(context, Base.metadata)
        assert diff == [], f"models and migrations drifted; run `make migration`: {diff}"

    def test_database_is_at_head(self, engine: Engine) -> None:
        head = ScriptDirectory.from_config(alembic_config()).get_current_head()
        with engine.connect() as conn:
            assert MigrationContext.configure(conn).get_current_revision() == head


class TestChain:
    def test_upgrade_downgrade_upgrade_on_a_fresh_sqlite_file(self, tmp_path: Path) -> None:
        url = f"sqlite:///{tmp_path / 'chain.db'}"
        config = alembic_config(url)
        command.upgrade(config, "head")
        fresh = make_engine(url)
        assert "accounts" in inspect(fresh).get_table_names()
        command.downgrade(config, "base")
        assert set(inspect(fresh).get_table_names()) <= {"alembic_version"}
        command.upgrade(config, "head")
        assert set(Base.metadata.tables) <= set(inspect(fresh).get_table_names())
        fresh.dispose()


def test_upgrade_creates_the_directory_of_a_new_sqlite_file(tmp_path: Path) -> None:
    target = tmp_path / "not" / "yet" / "there.db"
    upgrade("head", f"sqlite:///{target}")
    assert target.is_file()
