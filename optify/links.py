from django.urls import reverse

_MARKER = 987654321987654321


def url_pattern(name):
    """
    The path of URL `name` with "{}" where its one argument goes: reverse() once for a page
    of rows (or a digest of hundreds), then str.format per row, which costs far less.
    """
    return reverse(name, args=[_MARKER]).replace(str(_MARKER), "{}")
