from accounts.api import views
from optify.api.routers import OptifyRouter

router = OptifyRouter()
router.register("people", views.PersonViewSet, basename="person")
urlpatterns = router.urls
