from django.contrib import admin
from django.contrib.auth.admin import UserAdmin

from civicloop.accounts.models import Membership, User


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    raw_id_fields = ["unit", "area"]


@admin.register(User)
class CivicUserAdmin(UserAdmin):
    fieldsets = UserAdmin.fieldsets + (("平台信息", {"fields": ("display_name", "phone")}),)
    list_display = ["username", "display_name", "phone", "is_active", "is_superuser"]
    inlines = [MembershipInline]
