import os

from django.core.wsgi import get_wsgi_application

from amends.core.serving import heap_settle
from amends.core.wsgi_body import chunked_bodies_read

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "amends.settings")
application = chunked_bodies_read(get_wsgi_application())
heap_settle()  # shorter, rarer collection pauses at p95
