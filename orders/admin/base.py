"""What the venue's admin pages share: the system of record shown as it is, never edited by hand."""

from django.contrib import admin


class ReadOnlyAdmin(admin.ModelAdmin):
    """The system of record as it is: viewable, never added, edited or deleted by hand."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


def search_ids(admin_obj, request, queryset, search_term, id_fields):
    """The usual search, plus: a number (or #number) matches these id fields exactly."""
    unsearched = queryset
    queryset, may_have_duplicates = admin.ModelAdmin.get_search_results(admin_obj, request, queryset, search_term)
    term = search_term.strip().lstrip("#")
    if term.isdigit():
        for field in id_fields:
            queryset |= unsearched.filter(**{field: int(term)})
    return queryset, may_have_duplicates
