from engagements.api import views
from optify.api.routers import OptifyRouter

router = OptifyRouter()
router.register("engagements", views.EngagementViewSet, basename="engagement")
router.register("sessions", views.SessionViewSet, basename="session")
router.register("discovery-calls", views.DiscoveryCallViewSet, basename="discovery-call")
urlpatterns = router.urls
