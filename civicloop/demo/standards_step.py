"""Demo step: the city's index system (测评体系) and check items for every point type.

Runs after the registry is built (units exist for lead/cooperating departments, point
types exist, the default problem taxonomy is loaded). Everything is written in bulk, so
the step takes well under a second. Data: civicloop.standards.data.demo_index.
"""

from __future__ import annotations

from decimal import Decimal

from civicloop.demo.builder import DemoCity
from civicloop.standards.data import demo_index as d
from civicloop.standards.index_xlsx import NodeSpec, ParsedTree, split_numbering
from civicloop.standards.models import (
    Category,
    CheckItem,
    IndexSystem,
    IndexSystemKind,
    IndexSystemStatus,
    Indicator,
)
from civicloop.standards.services.index_systems import write_tree

DEMO_SYSTEM_CODE = "WMCS-DJS-2025"
DEMO_SYSTEM_NAME = "全国文明城市测评体系（地级市）示范市实施细则"


def build_index_system(city: DemoCity) -> IndexSystem:
    # A previous build's system survives a reset run before the hooks were discovered;
    # replace it so the step is idempotent.
    drop_standards()
    system = IndexSystem.objects.create(
        name=DEMO_SYSTEM_NAME,
        code=DEMO_SYSTEM_CODE,
        kind=IndexSystemKind.CIVILISED_CITY,
        version="2025版",
        year=2025,
        status=IndexSystemStatus.ACTIVE,
        total_score=Decimal(100),
        description="依据全国文明城市测评体系（地级市）编制的本市实施细则（演示数据，表述为虚构）。",
    )
    tree, content_nodes = index_tree(city)
    write_tree(system, tree)
    city.index_system = system  # handle for later steps (inspections, scoring)
    city.content_standard_codes = {
        key: node.children[0].code for key, node in content_nodes.items()
    }
    return system


def _node(level: str, raw: str, parent: NodeSpec | None, siblings: list[NodeSpec]) -> NodeSpec:
    numbering, text = split_numbering(raw)
    node = NodeSpec(level=level, text=text, numbering=numbering, parent=parent)
    node.sort_order = len(siblings) + 1
    node.code = (f"{parent.code}." if parent else "") + f"{node.sort_order:02d}"
    siblings.append(node)
    return node


def index_tree(city: DemoCity) -> tuple[ParsedTree, dict[str, NodeSpec]]:
    depts = city.departments
    types = city.point_types
    roots: list[NodeSpec] = []
    contents: dict[str, NodeSpec] = {}
    for item_text, groups in d.INDEX:
        item = _node("item", item_text, None, roots)
        for indicator_text, group in groups:
            parent = item
            if indicator_text:
                parent = _node("indicator", indicator_text, item, item.children)
            for spec in group:
                content = _node("content", spec.text, parent, parent.children)
                content.lead_unit = depts[spec.lead]
                content.cooperating_units = [depts[k] for k in spec.coop]
                content.methods = list(spec.methods)
                content.principal_leader = d.PRINCIPAL
                content.deputy_leader = d.DEPUTY_BY_LEAD.get(spec.lead, d.DEFAULT_DEPUTY)
                content.direct_leader = f"{depts[spec.lead].short_name or spec.lead}主要负责人"
                content.point_types = [types[c] for c in spec.types if c in types]
                content.is_negative = spec.negative
                contents[spec.key] = content
                for raw in spec.standards:
                    std = _node("standard", raw, content, content.children)
                    std.score = Decimal(str(spec.score))
                    std.methods = list(spec.methods)
                    std.lead_unit = content.lead_unit
                    std.cooperating_units = list(content.cooperating_units)
                    std.point_types = list(content.point_types)
                    std.is_negative = spec.negative
                    std.principal_leader = content.principal_leader
                    std.deputy_leader = content.deputy_leader
                    std.direct_leader = content.direct_leader
    return ParsedTree(form="demo", roots=roots), contents


def build_check_items(city: DemoCity, system: IndexSystem) -> int:
    categories = {c.code: c for c in Category.objects.filter(parent__isnull=False)}
    indicators = dict(Indicator.objects.filter(system=system).values_list("code", "pk"))
    standard_of = city.content_standard_codes
    type_codes = list(city.point_types)
    CheckItem.objects.filter(point_type__code__in=type_codes).delete()
    rows = []
    for code, point_type in city.point_types.items():
        specs = [*d.GROUP_ITEMS.get(point_type.group, ()), *d.TYPE_ITEMS.get(code, ())]
        for n, spec in enumerate(specs, start=1):
            rows.append(
                CheckItem(
                    point_type=point_type,
                    code=f"{code}-{n:02d}",
                    text=spec.text,
                    judge_mode=spec.mode,
                    max_score=Decimal(str(spec.max_score)),
                    deduction_per_count=None if spec.per is None else Decimal(str(spec.per)),
                    is_critical=spec.critical,
                    category=categories[spec.category],
                    indicator_id=indicators.get(standard_of.get(spec.content, "")),
                    guidance=spec.guidance,
                    sort_order=n * 10,
                )
            )
    CheckItem.objects.bulk_create(rows, batch_size=500)
    return len(rows)


def build_standards(city: DemoCity) -> None:
    system = build_index_system(city)
    city.check_item_count = build_check_items(city, system)


def drop_standards() -> None:
    """Reset hook: the demo index system (check items go with the demo point types)."""
    systems = IndexSystem.objects.filter(code=DEMO_SYSTEM_CODE)
    nodes = Indicator.objects.filter(system__in=systems)
    nodes.update(parent=None)
    nodes.delete()
    systems.delete()
