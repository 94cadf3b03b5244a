"""Purpose-built staff pages, where the admin is clumsy."""

from django.contrib.admin.views.decorators import staff_member_required
from django.shortcuts import render

from dialogue.members import selectors


@staff_member_required
def home(request):
    """The secretariat's start page."""
    return render(request, "staff/home.html", {"counts": selectors.membership_counts()})
