from django.contrib import admin


class ReadOnlyAdminMixin:
    """For rows that only the application writes (history, ledgers, pipeline output, analytics):
    staff may look, but an edit here would leave the rows derived from them inconsistent."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


admin.site.site_header = "StudyIn administration"
admin.site.site_title = "StudyIn admin"
admin.site.index_title = "Moderation and operations"
# The index also shows the last two weeks' activity and the moderation queues (analytics).
admin.site.index_template = "admin/studyin_index.html"
