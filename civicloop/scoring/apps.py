from django.apps import AppConfig


class ScoringConfig(AppConfig):
    name = "civicloop.scoring"
    label = "scoring"
    verbose_name = "考核排名"
