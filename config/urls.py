from django.conf import settings
from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from civicloop.core import views as core_views

urlpatterns = [
    path("", core_views.home, name="home"),
    path("accounts/", include("civicloop.accounts.urls")),
    path("orgs/", include("civicloop.orgs.urls")),
    path("standards/", include("civicloop.standards.urls")),
    path("problems/", include("civicloop.problems.urls")),
    path("inspections/", include("civicloop.inspections.urls")),
    path("scoring/", include("civicloop.scoring.urls")),
    path("bulletins/", include("civicloop.bulletins.urls")),
    path("public/exposure/", include("civicloop.bulletins.public_urls")),
    path("api/v1/", include("civicloop.api.urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
    path("admin/", admin.site.urls),
]

if settings.DEBUG:
    from django.conf.urls.static import static

    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
