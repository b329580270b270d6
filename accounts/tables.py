import django_tables2 as tables
from django.utils import dateformat
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from accounts.people import roles_of
from optify.links import url_pattern
from optify.lists.tables import BaseTable

STATUS_BADGES = {
    User.Status.ACTIVE: "badge-active",
    User.Status.INVITED: "badge-matching",
    User.Status.INTERNAL_RECORD: "badge-draft",
    User.Status.INACTIVE: "badge-ended",
}


class DateTimeColumn(tables.Column):
    def render(self, value):
        return dateformat.format(value, "j M Y")


class PersonTable(BaseTable):
    """A company's people (accounts/people.py says whose); roles come from people.with_roles."""

    full_name = tables.Column(verbose_name=_("Name"), order_by=("full_name", "email"),
                              attrs={"td": {"class": "col-coachee"}})
    email = tables.Column(verbose_name=_("Email"), orderable=False)
    roles = tables.Column(accessor="pk", verbose_name=_("Role"), orderable=False, empty_values=())
    status = tables.Column(verbose_name=_("Status"), order_by=("status", "full_name", "email"))
    # Sortable only where an index gives the order (name, status: see User.Meta.indexes):
    # sorting 200,000 people by a joined or unindexed column costs seconds a page.
    location = tables.Column(accessor="location__name", verbose_name=_("Location"), default="-",
                             orderable=False)
    invited_at = DateTimeColumn(verbose_name=_("Invited"), default="-", orderable=False)
    last_login = DateTimeColumn(verbose_name=_("Last sign-in"), default="-", orderable=False)
    date_joined = DateTimeColumn(verbose_name=_("Added"), orderable=False)
    actions = tables.Column(accessor="pk", verbose_name=_("Actions"), orderable=False,
                            empty_values=(),
                            attrs={"th": {"class": "col-actions"}, "td": {"class": "col-actions"}})

    class Meta(BaseTable.Meta):
        model = User
        fields = ()
        attrs = {"class": "table", "id": "people-table"}
        row_attrs = {"data-person": lambda record: record.pk}
        empty_text = _("No people match these filters.")
        default_columns = ("full_name", "email", "roles", "status", "location", "last_login")
        fixed_columns = ("actions",)

    def __init__(self, *args, **kwargs):
        self._detail = url_pattern("people:detail")
        super().__init__(*args, **kwargs)

    def render_full_name(self, record, value):
        return format_html('<a href="{}">{}</a>', self._detail.format(record.pk),
                           value or record.email)

    def render_roles(self, record):
        return format_html_join(", ", "{}", ((role.label,) for role in roles_of(record)))

    def value_roles(self, record):
        return ", ".join(role.label for role in roles_of(record))

    def render_status(self, record):
        return format_html('<span class="badge {}">{}</span>',
                           STATUS_BADGES.get(record.status, ""), record.get_status_display())

    def value_status(self, record):
        return record.get_status_display()

    def render_actions(self, record):
        return format_html(
            '<details class="menu"><summary aria-label="{}">⋯</summary>'
            '<div class="menu-items"><a href="{}">{}</a></div></details>',
            _("Actions for %(person)s") % {"person": record}, self._detail.format(record.pk),
            _("Open"),
        )
