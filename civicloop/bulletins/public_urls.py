"""The public exposure board (曝光台): no login. Included at /public/exposure/."""

from django.urls import path

from civicloop.bulletins import views

app_name = "exposure_public"

urlpatterns = [
    path("", views.public_exposure, name="list"),
    path("<int:pk>/photo/<str:which>/", views.public_photo, name="photo"),
]
