from django.urls import path

from civicloop.scoring import views

app_name = "scoring"

urlpatterns = [
    path("", views.index, name="index"),
    path("schemes/new/", views.scheme_new, name="scheme_new"),
    path("schemes/<int:pk>/", views.scheme_detail, name="scheme"),
    path("schemes/<int:pk>/edit/", views.scheme_edit, name="scheme_edit"),
    path("schemes/<int:pk>/periods/new/", views.period_create, name="period_create"),
    path("schemes/<int:pk>/objects/<int:obj>/trend/", views.object_trend, name="object_trend"),
    path("periods/<int:pk>/", views.period_detail, name="period"),
    path("periods/<int:pk>/compute/", views.period_compute, name="period_compute"),
    path("periods/<int:pk>/publish/", views.period_publish, name="period_publish"),
    path("periods/<int:pk>/reopen/", views.period_reopen, name="period_reopen"),
    path("periods/<int:pk>/adjustments/", views.adjustment_add, name="adjustment_add"),
    path(
        "periods/<int:pk>/adjustments/<int:adj>/void/",
        views.adjustment_void,
        name="adjustment_void",
    ),
    path("periods/<int:pk>/objects/<int:obj>/", views.object_detail, name="object"),
    path("computations/<int:pk>/", views.computation_status, name="computation"),
    path("snapshots/<int:pk>/", views.snapshot_detail, name="snapshot"),
]
