"""Inspecting a point: drafts, submit once, failed items → exactly one routed problem,
回头看 reopen/link, who may inspect."""

from decimal import Decimal

import pytest
from django.core.files.storage import default_storage

from civicloop.core.errors import NotFound, NotPermitted, TransitionNotAllowed, ValidationFailed
from civicloop.inspections import services
from civicloop.inspections.models import (
    Inspection,
    InspectionStatus,
    ItemOutcome,
    ItemResult,
    ProblemLink,
    RoundKind,
    RoundStatus,
)
from civicloop.inspections.services import ItemAnswer
from civicloop.inspections.tests.conftest import answers_all_pass, inspect, photo
from civicloop.problems import services as ledger
from civicloop.problems.models import Evidence, Problem, Source, Status

FAIL = {"outcome": ItemOutcome.FAIL}


def test_start_is_idempotent_and_moves_round_in_progress(insp):
    first = services.inspection_start(user=insp.member, sample=insp.sample_a, lng=117.01, lat=36.01)
    again = services.inspection_start(user=insp.member, sample=insp.sample_a)
    assert first.pk == again.pk
    insp.round.refresh_from_db()
    assert insp.round.status == RoundStatus.IN_PROGRESS
    assert first.unit_id == insp.w.unit_a.pk and first.located_at is not None


def test_draft_saves_upsert_per_item(insp):
    i = services.inspection_start(user=insp.member, sample=insp.sample_a)
    it = insp.items
    services.inspection_save(
        user=insp.member,
        inspection=i,
        answers=[ItemAnswer(it.clean.pk, ItemOutcome.FAIL, note="有垃圾")],
    )
    # The connection drops; the phone re-sends the same item and a new one.
    services.inspection_save(
        user=insp.member,
        inspection=i,
        answers=[
            ItemAnswer(it.clean.pk, ItemOutcome.FAIL, note="有垃圾"),
            ItemAnswer(it.deduct.pk, ItemOutcome.FAIL, deduction=Decimal("1.5")),
        ],
        lng=117.01,
        lat=36.01,
    )
    rows = {r.code: r for r in ItemResult.objects.filter(inspection=i)}
    assert set(rows) == {"M1", "M2"}
    assert rows["M1"].earned == 0 and rows["M1"].note == "有垃圾"
    assert rows["M2"].earned == Decimal("3.5")
    # Changing one's mind replaces the answer.
    services.inspection_save(
        user=insp.member, inspection=i, answers=[ItemAnswer(it.clean.pk, ItemOutcome.PASS)]
    )
    assert ItemResult.objects.get(inspection=i, check_item=it.clean).earned == 2
    assert ItemResult.objects.filter(inspection=i).count() == 2
    assert not Problem.objects.exists()  # drafts open nothing


def test_item_snapshot_survives_later_edits_of_the_check_item(insp):
    i = services.inspection_start(user=insp.member, sample=insp.sample_a)
    it = insp.items.deduct
    services.inspection_save(
        user=insp.member, inspection=i, answers=[ItemAnswer(it.pk, ItemOutcome.PASS)]
    )
    it.max_score, it.text = Decimal("10"), "改过的文字"
    it.save()
    services.inspection_save(
        user=insp.member, inspection=i, answers=[ItemAnswer(it.pk, ItemOutcome.PASS)]
    )
    row = ItemResult.objects.get(inspection=i, check_item=it)
    assert (row.item_max, row.text, row.earned) == (Decimal("5"), "摊位摆放整齐", Decimal("5"))


def test_submit_requires_every_item(insp):
    i = services.inspection_start(user=insp.member, sample=insp.sample_a)
    services.inspection_save(
        user=insp.member,
        inspection=i,
        answers=[ItemAnswer(insp.items.clean.pk, ItemOutcome.PASS)],
    )
    with pytest.raises(ValidationFailed) as exc:
        services.inspection_submit(user=insp.member, inspection=i)
    assert exc.value.details == {"missing": ["M2", "M3", "M4", "M5"]}
    assert Inspection.objects.get(pk=i.pk).status == InspectionStatus.DRAFT


def test_inapplicable_item_refused(insp):
    i = services.inspection_start(user=insp.member, sample=insp.sample_a)
    with pytest.raises(ValidationFailed):
        services.inspection_save(
            user=insp.member,
            inspection=i,
            answers=[ItemAnswer(insp.items.street.pk, ItemOutcome.PASS)],
        )


def test_failed_item_opens_exactly_one_routed_dispatched_problem(insp):
    w = insp.w
    done = inspect(insp, insp.sample_a, insp.member, M1={**FAIL, "note": "门口堆放垃圾"})
    assert done.status == InspectionStatus.SUBMITTED
    problems = list(Problem.objects.all())
    assert len(problems) == 1
    problem = problems[0]
    result = ItemResult.objects.get(inspection=done, code="M1")
    assert result.problem_id == problem.pk and result.problem_link == ProblemLink.CREATED
    assert problem.source == Source.INSPECTION
    assert problem.source_key == f"insp:{result.pk}"
    assert problem.category == w.cat_litter
    assert problem.point == w.point_a
    assert problem.status == Status.DISPATCHED  # create → registered → dispatch
    assert problem.responsible_unit == w.unit_a  # the point's responsible unit
    assert problem.due_at is not None and problem.due_at > problem.dispatched_at
    assert problem.created_by == insp.member  # the inspector's own scope allowed it
    assert "门口堆放垃圾" in problem.description
    dispatch = problem.events.get(action="dispatch")
    assert dispatch.actor == w.p.command  # dispatched by the round's creator


def test_resubmit_and_retry_never_duplicate(insp):
    done = inspect(insp, insp.sample_a, insp.member, M1=FAIL, M3={**FAIL, "count": 2})
    assert Problem.objects.count() == 2
    with pytest.raises(TransitionNotAllowed):
        services.inspection_submit(user=insp.member, inspection=done)
    assert services.inspection_retry_problems(user=insp.w.p.command, inspection=done) == 0
    # Even if the link were lost, re-running finds the same problems by source_key.
    ItemResult.objects.filter(inspection=done).update(problem=None, problem_link="")
    assert services.inspection_retry_problems(user=insp.w.p.command, inspection=done) == 2
    assert Problem.objects.count() == 2
    assert ItemResult.objects.filter(inspection=done, problem__isnull=False).count() == 2
    with pytest.raises(TransitionNotAllowed):
        services.inspection_save(
            user=insp.member,
            inspection=done,
            answers=[ItemAnswer(insp.items.clean.pk, ItemOutcome.PASS)],
        )


def test_photo_is_processed_stored_and_becomes_the_problem_before_photo(
    insp, django_capture_on_commit_callbacks
):
    i = services.inspection_start(user=insp.member, sample=insp.sample_a)
    with django_capture_on_commit_callbacks(execute=True):
        services.inspection_save(
            user=insp.member,
            inspection=i,
            answers=answers_all_pass(insp.items, M1={**FAIL, "photo": photo()}),
        )
    result = ItemResult.objects.get(inspection=i, code="M1")
    assert result.photo.name.startswith("inspections/") and result.photo_sha256
    assert default_storage.exists(result.photo.name)
    with django_capture_on_commit_callbacks(execute=True):
        services.inspection_submit(user=insp.member, inspection=i)
    result.refresh_from_db()
    ev = Evidence.objects.get(problem=result.problem)
    assert ev.kind == "before" and ev.content_type == "image/jpeg"


def test_non_image_photo_refused(insp):
    from django.core.files.uploadedfile import SimpleUploadedFile

    i = services.inspection_start(user=insp.member, sample=insp.sample_a)
    pdf = SimpleUploadedFile("x.pdf", b"%PDF-1.4 hello", content_type="application/pdf")
    with pytest.raises(ValidationFailed):
        services.inspection_save(
            user=insp.member,
            inspection=i,
            answers=[ItemAnswer(insp.items.clean.pk, ItemOutcome.FAIL, photo=pdf)],
        )
    assert not ItemResult.objects.exists()


def test_point_outside_inspector_scope_is_registered_by_round_creator(insp):
    # point_b is in the west: the team member has no area role there.
    i = services.inspection_start(user=insp.member, sample=insp.sample_b)
    services.inspection_save(
        user=insp.member,
        inspection=i,
        answers=[ItemAnswer(insp.items.street.pk, ItemOutcome.FAIL)],
    )
    services.inspection_submit(user=insp.member, inspection=i)
    problem = Problem.objects.get()
    assert problem.created_by == insp.w.p.command
    assert problem.responsible_unit == insp.w.unit_b and problem.status == Status.DISPATCHED


# --- 回头看 -------------------------------------------------------------------------------


def _next_round(insp, title="第2周排查", start=None):
    from datetime import date

    w = insp.w
    r = services.round_create(
        user=w.p.command,
        kind=RoundKind.WEEKLY_CHECK,
        title=title,
        start_date=start or date(2026, 3, 9),
        end_date=date(2026, 3, 15),
        areas=[w.city],
        point_types=[w.market],
        include_revisits=True,
        seed=1,
    )
    services.team_create(user=w.p.command, round_=r, name="第一组", inspectors=[insp.member])
    services.round_draw_sample(user=w.p.command, round_=r)
    services.round_publish(user=w.p.command, round_=r)
    return r


def _close(problem, insp):
    p = insp.w.p
    ledger.problem_sign(user=p.handler_a, problem=problem)
    ledger.problem_submit(user=p.handler_a, problem=problem, description="已整改", files=[photo()])
    ledger.problem_verify_pass(user=p.command, problem=problem)


def test_revisit_repeat_failure_reopens_the_closed_problem(insp):
    first = inspect(insp, insp.sample_a, insp.member, M1=FAIL)
    problem = ItemResult.objects.get(inspection=first, code="M1").problem
    _close(problem, insp)
    r2 = _next_round(insp)
    sample = r2.samples.get(point=insp.w.point_a)
    assert sample.is_revisit
    second = inspect(insp, sample, insp.member, M1=FAIL, M2=FAIL)
    assert Problem.objects.count() == 2  # M1 reopened, M2 new
    problem.refresh_from_db()
    assert problem.status == Status.DISPATCHED and problem.recurrence_count == 1
    m1 = ItemResult.objects.get(inspection=second, code="M1")
    assert m1.problem_id == problem.pk and m1.problem_link == ProblemLink.REOPENED
    assert problem.events.filter(action="reopen").count() == 1


def test_revisit_with_problem_still_open_links_without_duplicate(insp):
    first = inspect(insp, insp.sample_a, insp.member, M1=FAIL)
    problem = ItemResult.objects.get(inspection=first, code="M1").problem
    r2 = _next_round(insp)
    second = inspect(insp, r2.samples.get(point=insp.w.point_a), insp.member, M1=FAIL)
    assert Problem.objects.count() == 1
    m1 = ItemResult.objects.get(inspection=second, code="M1")
    assert m1.problem_id == problem.pk and m1.problem_link == ProblemLink.LINKED
    problem.refresh_from_db()
    assert problem.recurrence_count == 0


# --- Who may inspect ----------------------------------------------------------------------


def test_outsiders_cannot_inspect_and_nothing_changes(insp):
    p = insp.w.p
    # Not in any team and no command over the city: the round is invisible.
    for user in (p.handler_a, p.citizen):
        with pytest.raises(NotFound):
            services.inspection_start(user=user, sample=insp.sample_b)
    # Command of the west district sees the city-wide round, but point A is in the east.
    with pytest.raises(NotPermitted):
        services.inspection_start(user=p.outsider, sample=insp.sample_a)
    # In the round's other team: visible, not permitted.
    with pytest.raises(NotPermitted):
        services.inspection_start(user=insp.stranger, sample=insp.sample_a)
    # The leader sees the round but does not inspect.
    with pytest.raises(NotPermitted):
        services.inspection_start(user=p.leader, sample=insp.sample_a)
    assert not Inspection.objects.exists()
    # A started inspection cannot be saved or submitted by someone else either.
    i = services.inspection_start(user=insp.member, sample=insp.sample_a)
    with pytest.raises(NotPermitted):
        services.inspection_save(
            user=insp.stranger,
            inspection=i,
            answers=[ItemAnswer(insp.items.clean.pk, ItemOutcome.FAIL)],
        )
    with pytest.raises(NotFound):
        services.inspection_submit(user=p.handler_a, inspection=i)
    assert not ItemResult.objects.exists()
    assert Inspection.objects.get(pk=i.pk).status == InspectionStatus.DRAFT


def test_command_may_inspect_any_point_in_scope(insp):
    done = inspect(insp, insp.sample_a, insp.w.p.command)
    assert done.passed is True


def test_closed_or_draft_round_cannot_be_inspected(insp):
    i = services.inspection_start(user=insp.member, sample=insp.sample_a)
    services.inspection_save(user=insp.member, inspection=i, answers=answers_all_pass(insp.items))
    insp.round.refresh_from_db()  # the first start moved it to in_progress
    services.round_close(user=insp.w.p.command, round_=insp.round)
    with pytest.raises(TransitionNotAllowed):
        services.inspection_submit(user=insp.member, inspection=i)
    with pytest.raises(TransitionNotAllowed):
        services.inspection_start(user=insp.member, sample=insp.sample_b)


def test_failed_item_without_category_needs_round_default(insp):
    insp.items.clean.category = None
    insp.items.clean.save()
    i = services.inspection_start(user=insp.member, sample=insp.sample_a)
    services.inspection_save(
        user=insp.member, inspection=i, answers=answers_all_pass(insp.items, M1=FAIL)
    )
    with pytest.raises(ValidationFailed) as exc:
        services.inspection_submit(user=insp.member, inspection=i)
    assert exc.value.details == {"no_category": ["M1"]}
    services.round_update(user=insp.w.p.command, round_=insp.round, default_category=insp.w.cat_env)
    services.inspection_submit(user=insp.member, inspection=i)
    assert Problem.objects.get().category == insp.w.cat_env
