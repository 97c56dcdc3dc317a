"""Copy every row of one migrated database into another, empty one: the run's seeded SQLite demo into a
PostgreSQL database, where seeding it again through the services would cost about ten seconds of CPU."""

from __future__ import annotations

from sqlalchemy import insert, select, text

from ascc import db


async def copy_rows(source_url: str, target_url: str) -> None:
    """The target must be migrated and empty. Rows keep their ids; PostgreSQL's identity sequences then
    continue after the highest id, as if the rows had been inserted there."""
    tables = db.load_models().sorted_tables
    source, target = db.create_engine(source_url), db.create_engine(target_url)
    try:
        async with source.connect() as reading, target.begin() as writing:
            postgres = writing.dialect.name == "postgresql"
            if postgres:
                await writing.execute(text("SET LOCAL session_replication_role = replica"))  # any FK order
            for table in tables:
                rows = (await reading.execute(select(table))).all()
                if rows:
                    columns = list(table.columns)
                    values = [{c.key: row._mapping[c] for c in columns} for row in rows]
                    await writing.execute(insert(table), values)
            if postgres:
                identities = await writing.execute(
                    text(
                        "SELECT table_name, column_name FROM information_schema.columns "
                        "WHERE table_schema = 'public' AND is_identity = 'YES'"
                    )
                )
                for table_name, column in identities.all():
                    await writing.execute(
                        text(
                            f'SELECT setval(pg_get_serial_sequence(:t, :c), COALESCE(MAX("{column}"), 1), '
                            f'MAX("{column}") IS NOT NULL) FROM "{table_name}"'
                        ),
                        {"t": f'"{table_name}"', "c": column},
                    )
    finally:
        await source.dispose()
        await target.dispose()
