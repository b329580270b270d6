app_name = "templates_app"

urlpatterns = []
