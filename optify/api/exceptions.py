"""
Every error of the API is JSON: `{"detail": "..."}` (or field errors for a bad body), with
the status the pages would answer — 404 out of scope, 403 seen but not allowed, 400 refused
now (the action's message, for the person who tried).
"""

from django.core.exceptions import PermissionDenied
from django.http import Http404, JsonResponse
from django.utils.translation import gettext as _
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from accounts.actions import PeopleActionRefused
from engagements.actions import ActionRefused


def exception_handler(exc, context):
    if isinstance(exc, (ActionRefused, PeopleActionRefused)):
        return Response({"detail": str(exc)}, status=status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, PermissionDenied):
        # DRF keeps only its generic words for Django's PermissionDenied; the actions' say why.
        exc = exceptions.PermissionDenied(str(exc) or None)
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound()
    return drf_exception_handler(exc, context)


def not_found(request, *args, **kwargs):
    """Any address under /api/ that names nothing: JSON, like every other answer there."""
    return JsonResponse({"detail": _("Not found.")}, status=404)
