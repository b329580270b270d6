from django.utils.cache import patch_cache_control


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
