from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "civicloop.core"
    label = "core"
    verbose_name = "基础"

    def ready(self) -> None:
        # Connects the HolidayOverride signal receivers that clear the calendar cache.
        from civicloop.core import workcalendar  # noqa: F401
