"""Inspection rounds, samples, inspections, item results and scores (DESIGN.md §9)."""
