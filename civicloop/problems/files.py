"""Serving stored evidence files: always through a scope check, never by plain URL."""

from django.core.files.storage import default_storage
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404

from civicloop.problems import selectors
from civicloop.problems.models import Evidence


def scoped_evidence_response(user, pk: int, variant: str = "file") -> FileResponse:
    """The stored photo/file (or its thumbnail) of evidence whose problem `user` may see;
    Http404 otherwise. Shared by the page URL and the API download."""
    evidence = get_object_or_404(Evidence, pk=pk)
    selectors.problem_get(user=user, pk=evidence.problem_id)  # 404 out of scope
    name = evidence.file.name
    if variant == "thumb" and evidence.thumbnail:
        name = evidence.thumbnail.name
    try:
        handle = default_storage.open(name, "rb")
    except (FileNotFoundError, OSError) as exc:
        raise Http404("文件不存在") from exc
    response = FileResponse(
        handle,
        content_type=evidence.content_type,
        as_attachment=not evidence.is_image,
        filename=evidence.original_name or name.rsplit("/", 1)[-1],
    )
    response["Cache-Control"] = "private, max-age=86400"
    response["X-Content-Type-Options"] = "nosniff"
    return response
