from django.urls import include, path

from civicloop.standards import views

app_name = "standards"

urlpatterns = [
    path("categories/", views.category_list, name="category_list"),
    path("", include("civicloop.standards.urls_index")),
]
