from django.urls import path

from civicloop.inspections import views

app_name = "inspections"

urlpatterns = [
    path("", views.round_list, name="round_list"),
    path("new/", views.round_create, name="round_create"),
    path("<int:pk>/", views.round_detail, name="round_detail"),
    path("<int:pk>/edit/", views.round_edit, name="round_edit"),
    path("<int:pk>/act/<slug:action>/", views.round_action, name="round_action"),
    path("<int:pk>/scores/", views.round_scores, name="round_scores"),
    path("<int:pk>/scores/failed/", views.round_failed, name="round_failed"),
    path("samples/<int:pk>/", views.sample_page, name="sample"),
    path("samples/<int:pk>/team/", views.sample_assign, name="sample_assign"),
    path("samples/<int:pk>/items/<int:item_id>/", views.item_save, name="item_save"),
    path("samples/<int:pk>/submit/", views.inspection_submit, name="submit"),
    path("inspection/<int:pk>/", views.inspection_detail, name="inspection_detail"),
    path("results/<int:pk>/photo/", views.result_photo, name="result_photo"),
    path("results/<int:pk>/thumb/", views.result_photo, {"variant": "thumb"}, name="result_thumb"),
    path("points/<int:pk>/", views.point_history, name="point_history"),
]
