from rest_framework import routers


class OptifyRouter(routers.SimpleRouter):
    """Each app's API module registers its view sets on one of these (NetBox's NetBoxRouter)."""


class RootRouter(routers.DefaultRouter):
    """
    /api/v1/: every app's routes under one root, with the browsable root listing them. No
    format suffixes (`.json`): the Accept header chooses JSON.
    """

    include_format_suffixes = False

    def extend(self, *routers):
        for router in routers:
            self.registry.extend(router.registry)
        return self
