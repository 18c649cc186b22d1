"""Ledger pages: per-persona rendering, actions through the page, errors, scope, queries."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from civicloop.problems.models import Status

pytestmark = pytest.mark.django_db


def login(client, user):
    client.force_login(user)
    return client


def text(response) -> str:
    return response.content.decode()


def action_buttons(response) -> set[str]:
    """The actions offered on a problem page (the accordion buttons' data-action)."""
    return set(re.findall(r'data-bs-toggle="collapse"[^>]*data-action="([a-z_]+)"', text(response)))


def test_smoke_pages(client, ledger, bring):
    p = bring(Status.DISPATCHED)
    c = login(client, ledger.p.command)
    for url in [
        reverse("problems:ledger"),
        reverse("problems:workbench"),
        reverse("problems:detail", args=[p.pk]),
        reverse("problems:new"),
        reverse("problems:notice", args=[p.pk]),
        reverse("problems:notice_docx", args=[p.pk]),
        reverse("problems:kpi"),
        reverse("problems:rule_list"),
        reverse("problems:rule_create"),
        reverse("problems:export"),
    ]:
        r = c.get(url)
        assert r.status_code == 200, (url, r.status_code)
