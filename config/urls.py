from django.contrib import admin
from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from civicloop.core import views as core_views

# The API first: its clients call far more often than people open pages, and Django tries
# the patterns in order (none of these overlap, so the order changes nothing else).
urlpatterns = [
    path("api/v1/", include("civicloop.api.urls")),
    path("", core_views.home, name="home"),
    path("accounts/", include("civicloop.accounts.urls")),
    path("orgs/", include("civicloop.orgs.urls")),
    path("standards/", include("civicloop.standards.urls")),
    path("problems/", include("civicloop.problems.urls")),
    path("inspections/", include("civicloop.inspections.urls")),
    path("scoring/", include("civicloop.scoring.urls")),
    path("bulletins/", include("civicloop.bulletins.urls")),
    path("public/exposure/", include("civicloop.bulletins.public_urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
    path("admin/", admin.site.urls),
]

# Only public media is served by URL (check items' example photos). Problem photos,
# inspection photos and bulletins are private and go through scoped views; never map
# MEDIA_ROOT as a whole onto a public URL (in nginx either).
urlpatterns += [re_path(r"^media/(?P<path>.+)$", core_views.public_media, name="public-media")]
