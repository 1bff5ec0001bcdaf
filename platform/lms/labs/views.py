"""The lab's pages: the lab activity page (registered for the lab kind in
``LabsConfig.ready()``, served at the activity URL by ``lms.courses``) and the lab as a
Jupyter notebook to download."""

from pathlib import Path

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from lms.core.access import SIGNED_IN, access
from lms.courses.selectors import activity_for_learner


def lab_page(request: HttpRequest, activity) -> HttpResponse:
    """The lab page. A POST uploads a completed .ipynb without JavaScript: the page comes
    back with its code in the editor (the script does the same through the notebook API)."""
    from markdown_it import MarkdownIt

    from course_content.labkit.source import make_starter, parse_cells

    from .notebooks import NotebookRefused, notebook_upload_code, notebook_upload_wait
    from .selectors import latest_submission

    lab_dir = Path(settings.CONTENT_ROOT) / activity.lab_path
    source = (lab_dir / "lab.py").read_text(encoding="utf-8")
    starter = make_starter(source)
    markdown = MarkdownIt("commonmark", {"html": False})  # authors' text, rendered without raw HTML
    instructions = [markdown.render(cell.source) for cell in parse_cells(source) if cell.kind == "markdown"]
    last = latest_submission(learner=request.user, activity=activity)
    enrollment = request.cairn_enrollment  # looked up once by the activity page (lms.courses)
    code, upload_message, upload_error, status = last.code if last else starter, "", False, 200
    wait = notebook_upload_wait(request) if request.method == "POST" else None
    if wait is not None:
        upload_message = f"Too many uploads: try again in {wait} seconds."
        upload_error, status = True, 429
    elif request.method == "POST":
        try:
            code = notebook_upload_code(upload=request.FILES.get("notebook"), lab_dir=lab_dir)
            upload_message = "Loaded your code from the notebook: Run or Submit it to grade it."
        except NotebookRefused as exc:
            upload_message, upload_error, status = f"Could not use this notebook: {exc}", True, 400
    return render(
        request,
        "labs/activity_lab.html",
        {
            "activity": activity,
            "course": activity.course,
            "instructions": instructions,
            "code": code,
            "starter": starter,
            "last": last,
            "enrollment": enrollment,
            "upload_message": upload_message,
            "upload_error": upload_error,
        },
        status=status,
    )


@access(SIGNED_IN)
@login_required
def lab_download(request: HttpRequest, course: str, activity: str) -> HttpResponse:
    """The lab as a Jupyter notebook (starter code and public tests; never the solution)."""
    import nbformat

    from course_content.labkit.notebook import to_ipynb

    found = activity_for_learner(course_slug=course, activity_slug=activity)
    if found is None or found.kind != found.Kind.LAB:
        raise Http404("No such lab")
    notebook = to_ipynb(Path(settings.CONTENT_ROOT) / found.lab_path, solution=False)
    response = HttpResponse(nbformat.writes(notebook), content_type="application/x-ipynb+json")
    response["Content-Disposition"] = f'attachment; filename="{found.slug}.ipynb"'
    return response
