"""Excel import/export pages; included from civicloop/orgs/urls.py under "io/"."""

from django.urls import path

from civicloop.orgs import views_import

urlpatterns = [
    path("", views_import.import_index, name="import_index"),
    path("<slug:kind>/", views_import.import_page, name="import_page"),
    path("<slug:kind>/template.xlsx", views_import.template_download, name="template_download"),
    path("<slug:kind>/export.xlsx", views_import.export_download, name="export_download"),
]
