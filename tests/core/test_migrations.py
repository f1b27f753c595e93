from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, inspect

from app.core import migrations
from app.core.database import make_engine
from app.models import Base


def table_names(url: str) -> set[str]:
    engine = make_engine(url)
    try:
        return set(inspect(engine).get_table_names())
    finally:
        engine.dispose()


def test_upgrade_to_head_then_downgrade_to_base_leaves_an_empty_database(fresh_db_url: str) -> None:
    migrations.upgrade(fresh_db_url, "head")
    assert set(Base.metadata.tables) <= table_names(fresh_db_url)

    migrations.downgrade(fresh_db_url, "base")
    assert table_names(fresh_db_url) <= {"alembic_version"}

    migrations.upgrade(fresh_db_url, "head")
    assert set(Base.metadata.tables) <= table_names(fresh_db_url)


def test_models_and_migrations_agree(engine: Engine) -> None:
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        assert compare_metadata(context, Base.metadata) == []


def test_migrations_have_a_single_head(migrated_db_url: str) -> None:
    script = ScriptDirectory.from_config(migrations.alembic_config(migrated_db_url))
    assert len(script.get_heads()) == 1
