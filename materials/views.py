import logging
import uuid

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from materials import selectors, services
from materials.forms import SearchForm, UploadForm
from materials.models import JobType, Material, MaterialChunk
from medtext.embeddings import EmbeddingError

logger = logging.getLogger(__name__)


def _get_material_for_user(request: HttpRequest, material_id) -> Material:
    return selectors.material_get_for_user(user=request.user, material_id=material_id)


@login_required
@require_GET
def library(request: HttpRequest) -> HttpResponse:
    form = SearchForm(request.GET)
    query = form.cleaned_data["q"].strip() if form.is_valid() else ""
    passages, search_error = [], None
    if query:
        try:
            passages = selectors.passages_search(user=request.user, query=query)
        except EmbeddingError:
            logger.exception("passage search failed")
            search_error = "Searching inside your materials is unavailable right now; titles were searched."
    context = {
        "form": form,
        "query": query,
        "materials": selectors.materials_for(user=request.user, query=query),
        "passages": passages,
        "search_error": search_error,
    }
    return render(request, "materials/library.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def upload(request: HttpRequest) -> HttpResponse:
    form = UploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            material = services.material_upload(
                user=request.user, file=data["file"], title=data["title"], description=data["description"],
                topic=data["topic"], tags=data["tags"],
            )  # fmt: skip
        except services.UploadRejected as exc:
            form.add_error("file", str(exc))
        else:
            messages.success(request, f"“{material.title}” is uploaded. StudyIn is reading it now.")
            return redirect(material)
    return render(request, "materials/upload.html", {"form": form})


@login_required
@require_GET
def detail(request: HttpRequest, material_id) -> HttpResponse:
    material = _get_material_for_user(request, material_id)
    highlight = None
    if chunk_id := request.GET.get("chunk"):
        highlight = MaterialChunk.objects.filter(material=material, pk=chunk_id).first() if _is_uuid(chunk_id) else None
    pages = Paginator(material.pages.all(), 1)
    # The reader's pages are positions in the list; PDF pages without text are not in it, so a
    # page number is not a position.
    page_number = (
        material.pages.filter(page_number__lt=highlight.page_number).count() + 1
        if highlight
        else request.GET.get("page")
    )
    page = pages.get_page(page_number) if pages.count else None
    text = page.object_list[0].text if page else ""
    if highlight and page and highlight.page_number == page.object_list[0].page_number:
        parts = (
            text[: highlight.char_start],
            text[highlight.char_start : highlight.char_end],
            text[highlight.char_end :],
        )
    else:
        parts = (text, "", "")
    context = {
        "material": material,
        "stages": selectors.stages_for(material=material),
        "page": page,
        "reader_page": page.object_list[0] if page else None,
        "parts": parts,
        "tags": material.material_tags.order_by("is_auto_generated", "-confidence", "tag"),
    }
    return render(request, "materials/detail.html", context)


@login_required
@require_GET
def progress(request: HttpRequest, material_id) -> HttpResponse:
    """The progress partial, polled by the material page while it is processed."""
    material = _get_material_for_user(request, material_id)
    response = render(
        request, "materials/_progress.html", {"material": material, "stages": selectors.stages_for(material=material)}
    )
    if request.htmx and request.GET.get("shown") != material.processing_status and not material.is_processing:
        response["HX-Refresh"] = "true"  # finished: reload the page, which now has the reader
    return response


@login_required
@require_POST
def retry(request: HttpRequest, material_id, job_type: str) -> HttpResponse:
    material = _get_material_for_user(request, material_id)
    if job_type not in JobType.values:
        return redirect(material)
    if services.material_stage_retry(material=material, job_type=job_type):
        messages.success(request, f"Trying “{JobType(job_type).label}” again.")
    else:
        messages.info(request, "That stage is not failed, so there is nothing to retry.")
    return redirect(material)


@login_required
@require_POST
def reprocess(request: HttpRequest, material_id) -> HttpResponse:
    material = _get_material_for_user(request, material_id)
    if services.material_reprocess(material=material):
        messages.success(request, f"Processing “{material.title}” again from the start.")
    else:
        messages.error(request, "A stage is running right now; try again when it has finished.")
    return redirect(material)


@login_required
@require_POST
def delete(request: HttpRequest, material_id) -> HttpResponse:
    material = _get_material_for_user(request, material_id)
    title = material.title
    services.material_delete(material=material)
    messages.success(request, f"“{title}” was deleted. Questions you already answered keep their history.")
    return redirect("materials:library")


def _is_uuid(value: str) -> bool:
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True
