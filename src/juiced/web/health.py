"""GET /health: 200 when the app and its database answer, 503 when the database does not."""

from django.db import connection
from django.http import JsonResponse


def health(request):
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception:  # any database failure means "not healthy", whatever the driver raised
        return JsonResponse({"status": "error", "database": "unreachable"}, status=503)
    return JsonResponse({"status": "ok", "database": "ok"})


def live(request):
    """GET /health/live: the process answers (no database); the benchmark's trivial baseline."""
    return JsonResponse({"status": "ok"})
