from django.contrib.auth.decorators import login_required
from django.shortcuts import render


@login_required
def home(request):
    """Landing page: the user's roles and the entry points for them."""
    return render(request, "core/home.html")
