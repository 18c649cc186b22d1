from importlib import import_module

from django.urls import include, path

from civicloop.orgs import views

app_name = "orgs"

urlpatterns: list = [
    path("units/", views.unit_list, name="unit_list"),
    path("units/tree/", views.unit_tree, name="unit_tree"),
    path("units/new/", views.unit_create, name="unit_create"),
    path("units/<int:pk>/", views.unit_detail, name="unit_detail"),
    path("units/<int:pk>/edit/", views.unit_edit, name="unit_edit"),
    path("units/<int:pk>/children/", views.unit_children, name="unit_children"),
    path("areas/", views.area_list, name="area_list"),
    path("areas/tree/", views.area_tree, name="area_tree"),
    path("areas/new/", views.area_create, name="area_create"),
    path("areas/<int:pk>/", views.area_detail, name="area_detail"),
    path("areas/<int:pk>/edit/", views.area_edit, name="area_edit"),
    path("areas/<int:pk>/children/", views.area_children, name="area_children"),
    path(
        "areas/<int:pk>/responsibilities/add/",
        views.responsibility_add,
        name="responsibility_add",
    ),
    path(
        "areas/<int:pk>/responsibilities/<int:resp_pk>/remove/",
        views.responsibility_remove,
        name="responsibility_remove",
    ),
    path("point-types/", views.point_type_list, name="point_type_list"),
    path("point-types/new/", views.point_type_create, name="point_type_create"),
    path("point-types/<int:pk>/", views.point_type_detail, name="point_type_detail"),
    path("point-types/<int:pk>/edit/", views.point_type_edit, name="point_type_edit"),
    path("points/", views.point_list, name="point_list"),
    path("points/new/", views.point_create, name="point_create"),
    path("points/<int:pk>/", views.point_detail, name="point_detail"),
    path("points/<int:pk>/edit/", views.point_edit, name="point_edit"),
    path("map/", views.map_page, name="map"),
    path("map/points.json", views.map_points, name="map_points"),
    path("map/areas.json", views.map_areas, name="map_areas"),
]

# Excel import/export pages live in their own module (written separately); the site keeps
# working while it does not exist yet.
try:
    urls_import = import_module("civicloop.orgs.urls_import")
except ModuleNotFoundError as exc:
    if exc.name != "civicloop.orgs.urls_import":
        raise
else:
    urlpatterns += [path("io/", include("civicloop.orgs.urls_import"))]
    # Alias the module's index page as "orgs:io_entry" so the menu can link to it (and
    # shows no link when there is no index page).
    for _pattern in getattr(urls_import, "urlpatterns", []):
        if str(_pattern.pattern) == "" and hasattr(_pattern, "callback"):
            urlpatterns.append(path("io/", _pattern.callback, name="io_entry"))
            break
