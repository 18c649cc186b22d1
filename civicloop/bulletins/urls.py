from django.urls import path

from civicloop.bulletins import views

app_name = "bulletins"

urlpatterns = [
    path("", views.index, name="index"),
    path("new/", views.create, name="create"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/status/", views.status, name="status"),
    path("<int:pk>/retry/", views.retry, name="retry"),
    path("<int:pk>/download/<str:kind>/", views.download, name="download"),
    path("exposure/", views.exposure_admin, name="exposure_admin"),
    path("exposure/publish/", views.exposure_publish, name="exposure_publish"),
    path("exposure/<int:pk>/unpublish/", views.exposure_unpublish, name="exposure_unpublish"),
]
