from django.apps import AppConfig


class StandardsConfig(AppConfig):
    name = "civicloop.standards"
    label = "standards"
    verbose_name = "标准与分类"
