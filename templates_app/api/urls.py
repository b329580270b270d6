from optify.api.routers import OptifyRouter
from templates_app.api import views

router = OptifyRouter()
router.register("templates", views.EngagementTemplateViewSet, basename="template")
urlpatterns = router.urls
