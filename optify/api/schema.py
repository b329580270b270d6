"""The OpenAPI schema's shared parts: the token scheme and the errors every operation has."""

from django.utils import translation
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.views import SpectacularAPIView

ERROR = {
    "type": "object",
    "properties": {"detail": {"type": "string"}},
    "additionalProperties": True,
    "description": "`detail` says why; a refused body has a list of messages per field.",
}
ERRORS = {
    "400": "The request or its body is not valid, or the change is refused now (why in "
           "`detail`).",
    "401": "No valid credentials: a missing, unknown, revoked or expired token.",
    "403": "Not allowed: you may read this, not change it, or the token is read-only.",
    "404": "Nothing you may see has this id.",
    "429": "Too many requests for this token: wait and try again (Retry-After).",
}
READ_ERRORS = ("400", "401", "403", "404", "429")


class BearerTokenScheme(OpenApiAuthenticationExtension):
    target_class = "optify.api.authentication.BearerTokenAuthentication"
    name = "bearerToken"

    def get_security_definition(self, auto_schema):
        return {"type": "http", "scheme": "bearer",
                "description": "An API token from the Settings page: opt_<id>_<secret>."}


def document_errors(result, generator, request, public):
    """Every operation may answer these errors, each as JSON with a `detail`."""
    components = result.setdefault("components", {}).setdefault("schemas", {})
    components["Error"] = ERROR
    for path in result.get("paths", {}).values():
        for operation in path.values():
            responses = operation.setdefault("responses", {})
            for code in READ_ERRORS:
                responses.setdefault(code, {
                    "description": ERRORS[code],
                    "content": {"application/json": {
                        "schema": {"$ref": "#/components/schemas/Error"}}},
                })
    return result


class EnglishSchemaView(SpectacularAPIView):
    """
    The schema, always in English whoever asks: one published contract, the same for every
    client and code generator (docs/api.md, "Languages"). Labels that are messages elsewhere
    (the Engagements page's filters) would otherwise follow the caller's language.
    """

    def dispatch(self, request, *args, **kwargs):
        with translation.override("en"):
            response = super().dispatch(request, *args, **kwargs)
            # Rendered here, inside the override: the handler would render it after.
            response.render()
        response.headers["Content-Language"] = "en"
        return response
