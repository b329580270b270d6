from django.utils import translation
from django.utils.cache import patch_cache_control, patch_vary_headers


class PrivatePagesMiddleware:
    """
    `Cache-Control: private, no-store` on every answer to a signed-in user: their pages, exports
    and redirects carry tenant data, which neither a shared proxy nor the browser's disk
    cache (a shared computer, the back button after signing out) may keep. Static files never
    get here: WhiteNoise answers them first, cacheable as they should be.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            patch_cache_control(response, private=True, no_store=True)
        return response


class UserLanguageMiddleware:
    """
    Activates the language of the page: the signed-in user's (`User.language_code`: theirs,
    else their company's), or for signed-out pages the browser's Accept-Language among the
    languages Optify speaks. Not Django's LocaleMiddleware: no language prefix in URLs, and a
    signed-in user's choice in Settings beats whatever their browser says.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        signed_in = user is not None and user.is_authenticated
        if signed_in:
            language = translation.get_supported_language_variant(user.language_code)
        else:
            language = translation.get_language_from_request(request)
        # Activated for this request only: the thread goes back to what it had, so that nothing
        # run after it in the same thread (a test, an eager task) inherits a user's language.
        with translation.override(language):
            request.LANGUAGE_CODE = translation.get_language()
            response = self.get_response(request)
        if response.streaming:
            # A streamed export is written after this returns: in the same language.
            response.streaming_content = _in_language(language, response.streaming_content)
        if not signed_in:
            patch_vary_headers(response, ("Accept-Language",))
        # The view may have chosen another (the API, for its token's user: optify/api/).
        response.headers.setdefault("Content-Language", request.LANGUAGE_CODE)
        return response


def _in_language(language, chunks):
    with translation.override(language):
        yield from chunks
