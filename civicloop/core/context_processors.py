from django.conf import settings


def platform(request):
    """Values every page needs: platform name and the user's navigation roles."""
    from civicloop.accounts.scope import roles_of

    user = getattr(request, "user", None)
    roles = roles_of(user) if user is not None and user.is_authenticated else set()
    return {
        "PLATFORM_NAME": settings.CIVICLOOP["PLATFORM_NAME"],
        "CITY_NAME": settings.CIVICLOOP["CITY_NAME"],
        "user_roles": roles,
    }
