from django.urls import path

from civicloop.standards import views

app_name = "standards"

urlpatterns = [
    path("categories/", views.category_list, name="category_list"),
]
