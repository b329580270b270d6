"""
The API's addresses, under /api/ in the "api" namespace: v1/ (each app's api/urls.py router
under one root), the OpenAPI schema and its interactive docs. Anything else under /api/ is a
JSON 404.
"""

from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularSwaggerSplitView

from accounts.api.urls import router as accounts_router
from engagements.api.urls import router as engagements_router
from optify.api.exceptions import not_found
from optify.api.routers import RootRouter
from optify.api.schema import EnglishSchemaView
from templates_app.api.urls import router as templates_router
from tracking.api.urls import router as tracking_router

app_name = "api"

router = RootRouter().extend(engagements_router, tracking_router, templates_router,
                             accounts_router)

urlpatterns = [
    path("v1/", include(router.urls)),
    path("schema/", EnglishSchemaView.as_view(), name="schema"),
    # The split view serves Swagger UI's start-up script as a file of its own: no inline
    # script, which the Content-Security-Policy refuses.
    path("docs/", SpectacularSwaggerSplitView.as_view(url_name="api:schema"), name="docs"),
    re_path(r"^", not_found),
]
