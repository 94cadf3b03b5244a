"""The product's URLs plus /bench/bare/, the floor and ceiling of the load benchmark: a view
that only returns a fixed string, served through the same middleware and server."""

from django.http import HttpResponse
from django.urls import path

from dialogue import urls as product_urls

BARE_BODY = b"Dialogue benchmark: a fixed answer.\n"


def bare(request):
    """A fixed string: what any page costs before it does any work of its own."""
    return HttpResponse(BARE_BODY, content_type="text/plain; charset=utf-8")


handler404 = product_urls.handler404
urlpatterns = [path("bench/bare/", bare, name="bench_bare"), *product_urls.urlpatterns]
