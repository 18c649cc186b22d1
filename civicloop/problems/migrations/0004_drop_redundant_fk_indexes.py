"""Drop the single-column indexes Django made for six foreign keys: composite indexes
already lead with each of them (problem_area_status, problem_category_created,
problem_reporter, problem_unit_status, pevent_problem_at, pevent_unit_action_at), and every
extra index is written on each row insert and on each update that moves the row.

The state change is db_index=False; the database change is a plain DROP INDEX, because
AlterField would rebuild the whole table on SQLite to drop one index. The names are the
ones Django gives these indexes on both databases (the hash of table and column)."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


# (index, table, column): the names Django gave these indexes on both databases.
INDEXES = (
    ("problems_problem_area_id_bccaa625", "problems_problem", "area_id"),
    ("problems_problem_category_id_2eedf206", "problems_problem", "category_id"),
    ("problems_problem_reporter_id_f2b79f8c", "problems_problem", "reporter_id"),
    ("problems_problem_responsible_unit_id_7da76eec", "problems_problem", "responsible_unit_id"),
    ("problems_problemevent_problem_id_1d5354f0", "problems_problemevent", "problem_id"),
    ("problems_problemevent_unit_id_cb5c7ccd", "problems_problemevent", "unit_id"),
)


def _drop_index(name: str, table: str, column: str) -> migrations.RunSQL:
    return migrations.RunSQL(
        f"DROP INDEX IF EXISTS {name}",
        reverse_sql=f'CREATE INDEX {name} ON "{table}" ("{column}")',
    )


class Migration(migrations.Migration):
    dependencies = [
        ("orgs", "0001_initial"),
        ("problems", "0003_sweep_partial_indexes"),
        ("standards", "0002_indexsystem_indicator_checkitem_and_more"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="problem",
                    name="area",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="problems",
                        to="orgs.area",
                        verbose_name="所属区域",
                    ),
                ),
                migrations.AlterField(
                    model_name="problem",
                    name="category",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="problems",
                        to="standards.category",
                        verbose_name="问题分类",
                    ),
                ),
                migrations.AlterField(
                    model_name="problem",
                    name="reporter",
                    field=models.ForeignKey(
                        blank=True,
                        db_index=False,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="reported_problems",
                        to=settings.AUTH_USER_MODEL,
                        verbose_name="反映人",
                    ),
                ),
                migrations.AlterField(
                    model_name="problem",
                    name="responsible_unit",
                    field=models.ForeignKey(
                        blank=True,
                        db_index=False,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="problems",
                        to="orgs.unit",
                        verbose_name="责任单位",
                    ),
                ),
                migrations.AlterField(
                    model_name="problemevent",
                    name="problem",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="events",
                        to="problems.problem",
                        verbose_name="问题",
                    ),
                ),
                migrations.AlterField(
                    model_name="problemevent",
                    name="unit",
                    field=models.ForeignKey(
                        blank=True,
                        db_index=False,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="orgs.unit",
                        verbose_name="责任单位",
                    ),
                ),
            ],
            database_operations=[_drop_index(*index) for index in INDEXES],
        ),
    ]
