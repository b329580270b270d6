"""Cursor pagination for every API list: stable under inserts, no COUNT over the tenant."""

from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions, pagination

from optify.forms import parse_id


class IdCursorPagination(pagination.CursorPagination):
    """
    Newest first, by id: a unique, indexed, never-null key, so that each page is one index
    range scan from the cursor (`id < last`), however deep the walk. The pages' own order
    (start date) has ties and nulls, which would turn cursors into growing offsets.
    """

    ordering = "-id"
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 1000
    invalid_cursor_message = _("Invalid cursor: use the `next` or `previous` link as given.")

    def decode_cursor(self, request):
        cursor = super().decode_cursor(request)
        # The position goes into `id < position`: anything but an id is refused here, before
        # it reaches a query (a string or a number past bigint is a 500 otherwise).
        if cursor is not None and cursor.position is not None \
                and parse_id(cursor.position) is None:
            raise exceptions.NotFound(self.invalid_cursor_message)
        return cursor

    def get_page_size(self, request):
        raw = request.query_params.get(self.page_size_query_param)
        if raw is not None and parse_id(raw) is None:
            raise exceptions.ValidationError(
                {self.page_size_query_param: [_("A whole number from 1 to %(max)d.")
                                              % {"max": self.max_page_size}]})
        return super().get_page_size(request)
