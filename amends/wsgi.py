import gc
import os

from django.core.wsgi import get_wsgi_application

from amends.core.wsgi_body import chunked_bodies_read

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "amends.settings")
application = chunked_bodies_read(get_wsgi_application())
# What is loaded by now lives as long as the process: keep it out of the collector's generations, so a
# collection during a request walks only what requests made (shorter, rarer pauses at p95).
gc.freeze()
