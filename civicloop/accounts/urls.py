from django.urls import path

from civicloop.accounts import views

app_name = "accounts"

urlpatterns = [
    path("login/", views.CivicLoginView.as_view(), name="login"),
    path("logout/", views.CivicLogoutView.as_view(), name="logout"),
]
