"""Settings package: `base` reads the environment, `dev` and `production` specialise it.

DJANGO_SETTINGS_MODULE picks one; manage.py, asgi and celery default to `dev`.
"""
