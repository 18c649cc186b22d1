"""API wiring: each app with a public API has an `api.py` exposing `register(router)`.

Adding an app's API is one line in API_MODULES; nothing else here changes.
"""

from importlib import import_module

from django.urls import include, path

from civicloop.api.routers import PrefixGroupedRouter

API_MODULES = [
    "civicloop.orgs.api",
    "civicloop.standards.api",
    "civicloop.standards.api_index",
    "civicloop.problems.api",
    "civicloop.inspections.api",
    "civicloop.scoring.api",
    "civicloop.bulletins.api",
    "civicloop.accounts.api",
]

router = PrefixGroupedRouter()
extra_urlpatterns = []
for module_name in API_MODULES:
    try:
        module = import_module(module_name)
    except ModuleNotFoundError as exc:
        if exc.name != module_name:
            raise
        continue  # the app has no API yet
    module.register(router)
    extra_urlpatterns += getattr(module, "urlpatterns", [])

urlpatterns = [
    *extra_urlpatterns,
    path("", include(router.urls)),
]
