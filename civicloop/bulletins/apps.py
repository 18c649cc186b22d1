from django.apps import AppConfig


class BulletinsConfig(AppConfig):
    name = "civicloop.bulletins"
    label = "bulletins"
    verbose_name = "通报曝光"
