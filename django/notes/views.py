from django.shortcuts import render

from .models import Note

LATEST = 20


def index(request):
    """The home page: how many notes there are and the latest ones, read from the database."""
    notes = Note.objects.all()
    return render(request, "notes/index.html", {"count": notes.count(), "notes": notes[:LATEST]})
