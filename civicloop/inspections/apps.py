from django.apps import AppConfig


class InspectionsConfig(AppConfig):
    name = "civicloop.inspections"
    label = "inspections"
    verbose_name = "督查检查"
