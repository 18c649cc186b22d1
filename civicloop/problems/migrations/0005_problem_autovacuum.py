"""PostgreSQL: vacuum the problems table after 2 % of its rows changed, not 20 %.

Every transition and every sweep rewrites problem rows (no HOT update: the changed columns
are indexed), leaving dead index entries and pages the visibility map no longer marks
all-visible. At the default scale factor a 1M-row table waits for 200 000 dead rows; the
overdue sweep over a 17:30 deadline alone leaves ~25 000. Measured on 1M problems after a
series of such writes: the sweep over that deadline 2.2 s before VACUUM and 1.75 s after,
its clearing of stale flags 0.33 s reading 580 000 index entries for 82 000 live ones.
SQLite has no autovacuum to tune: nothing happens there."""

from django.db import migrations

TABLES = ("problems_problem",)
SETTINGS = "autovacuum_vacuum_scale_factor = 0.02, autovacuum_analyze_scale_factor = 0.05"
DEFAULTS = "autovacuum_vacuum_scale_factor, autovacuum_analyze_scale_factor"


def _alter(statement: str):
    def run(apps, schema_editor) -> None:
        if schema_editor.connection.vendor != "postgresql":
            return
        for table in TABLES:
            schema_editor.execute(statement.format(table=schema_editor.quote_name(table)))

    return run


class Migration(migrations.Migration):
    dependencies = [("problems", "0004_drop_redundant_fk_indexes")]

    operations = [
        migrations.RunPython(
            _alter(f"ALTER TABLE {{table}} SET ({SETTINGS})"),
            _alter(f"ALTER TABLE {{table}} RESET ({DEFAULTS})"),
        ),
    ]
