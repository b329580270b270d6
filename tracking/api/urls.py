from optify.api.routers import OptifyRouter
from tracking.api import views

router = OptifyRouter()
router.register("progress-history", views.ProgressTransitionViewSet,
                basename="progress-transition")
urlpatterns = router.urls
