# The notifications' standing fixtures (a frozen morning, an evaluation run, engagements turned
# off track) and the weekly digest's programme, for the emails rendered here in both languages.
from tests.notifications.conftest import frozen, make_run, turn_off_track  # noqa: F401
from tests.notifications.test_weekly_digest import programme  # noqa: F401
