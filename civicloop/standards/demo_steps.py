"""Registers the standards demo step (discovered by civicloop.demo.builder)."""

from civicloop.demo.builder import register_reset, register_step
from civicloop.demo.standards_step import build_standards, drop_standards

# Order 50: before inspections and problems, which need the check items.
register_step("测评体系与检查项", order=50)(build_standards)
register_reset(drop_standards, order=50)
