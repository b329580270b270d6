"""The base every API view set of the apps is declared on (NetBox's `NetBoxModelViewSet`)."""

from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from rest_framework import exceptions, viewsets

from optify.forms import parse_id


class GatedViewSetMixin:
    """
    Objects come from `get_queryset()` — the app's gate for the caller — and nothing else:
    what it leaves out answers 404. An id in the path that no row can have answers 404
    before any query. The list's filters apply to the list only: a detail is found by id
    within the gate, whatever the list would hide by default (ended engagements).
    """

    lookup_value_regex = r"[0-9]+"

    def filter_queryset(self, queryset):
        if self.action != "list":
            return queryset
        return super().filter_queryset(queryset)

    def get_object(self):
        pk = parse_id(self.kwargs[self.lookup_url_kwarg or self.lookup_field])
        if pk is None:
            raise exceptions.NotFound()
        obj = get_object_or_404(self.get_queryset(), pk=pk)
        self.check_object_permissions(self.request, obj)
        return obj


class ReadOnlyViewSet(GatedViewSetMixin, viewsets.ReadOnlyModelViewSet):
    pass


class GenericViewSet(GatedViewSetMixin, viewsets.GenericViewSet):
    pass


def query_id(request, name):
    """An id from the query string (None when absent); a 400 when it cannot name a row."""
    raw = request.query_params.get(name)
    if raw is None or raw == "":
        return None
    pk = parse_id(raw)
    if pk is None:
        raise exceptions.ValidationError({name: [_("Enter a valid id.")]})
    return pk
