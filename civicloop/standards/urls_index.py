"""URLs of index systems and check items, included into the `standards` namespace."""

from django.urls import path

from civicloop.standards import views_checkitems as ci
from civicloop.standards import views_index as ix

urlpatterns = [
    path("index-systems/", ix.index_system_list, name="index_system_list"),
    path("index-systems/import/", ix.index_system_import, name="index_system_import"),
    path("index-systems/<int:pk>/", ix.index_system_detail, name="index_system_detail"),
    path("index-systems/<int:pk>/export/", ix.index_system_export, name="index_system_export"),
    path("index-systems/<int:pk>/copy/", ix.index_system_copy, name="index_system_copy"),
    path("index-systems/<int:pk>/status/", ix.index_system_status, name="index_system_status"),
    path("indicators/<int:pk>/", ix.indicator_detail, name="indicator_detail"),
    path("check-items/", ci.checkitem_index, name="checkitem_index"),
    path("check-items/export/", ci.checkitem_export, name="checkitem_export"),
    path("check-items/import/", ci.checkitem_import, name="checkitem_import"),
    path("check-items/xlsform/", ci.checkitem_xlsform, name="checkitem_xlsform"),
    path("check-items/type/<int:pt>/", ci.checkitem_list, name="checkitem_list"),
    path("check-items/type/<int:pt>/new/", ci.checkitem_create, name="checkitem_create"),
    path("check-items/<int:pk>/edit/", ci.checkitem_edit, name="checkitem_edit"),
    path("check-items/<int:pk>/delete/", ci.checkitem_delete, name="checkitem_delete"),
    path("check-items/<int:pk>/move/", ci.checkitem_move, name="checkitem_move"),
]
