from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from lms.core.access import EVERYONE, access

from .selectors import MAX_QUERY, search


@access(EVERYONE)
def search_page(request: HttpRequest) -> HttpResponse:
    """The catalog's search (public, like the course outlines it links to; activity
    pages still ask to sign in)."""
    query = request.GET.get("q", "").strip()[:MAX_QUERY]
    hits = search(query=query) if query else []
    return render(request, "search/results.html", {"query": query, "hits": hits})
