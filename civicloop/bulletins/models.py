"""Bulletin documents, export jobs and the public exposure board."""
