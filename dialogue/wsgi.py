"""WSGI entry point for gunicorn: `gunicorn dialogue.wsgi`."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dialogue.settings")
application = get_wsgi_application()
