from django.apps import AppConfig


class OrgsConfig(AppConfig):
    name = "civicloop.orgs"
    label = "orgs"
    verbose_name = "组织与区域"
