from engagements.tables import EngagementTable
from optify.lists.tables import ColumnPreference


class EngagementReportTable(EngagementTable):
    """
    The Engagements page's table, shared as is: the same columns and rendering. A class of
    its own only so that the report remembers its own choice of columns
    (`tables.EngagementReportTable.columns`) apart from the Engagements page's.
    """

    class Meta(EngagementTable.Meta):
        attrs = {"class": "table", "id": "report-table"}


class SavedViewColumns(ColumnPreference):
    """The columns of an opened saved view, read like the user's own preference."""

    def __init__(self, table_class, user, saved_view):
        super().__init__(table_class, user)
        self.saved_view = saved_view

    def _stored(self):
        columns = self.saved_view.columns
        return columns if isinstance(columns, list) and columns else None
