"""Print (creating it if needed) the API token of a user: `manage.py api_token <username>`."""

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from rest_framework.authtoken.models import Token


class Command(BaseCommand):
    help = "打印某用户的 API 令牌（没有则创建）。Print a user's API token, creating it if needed."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument(
            "--reset",
            action="store_true",
            help="Replace an existing token (the old one stops working).",
        )

    @transaction.atomic
    def handle(self, *args, username: str, reset: bool, **options):
        User = get_user_model()
        try:
            user = User.objects.get(**{User.USERNAME_FIELD: username})
        except User.DoesNotExist as exc:
            raise CommandError(f"用户不存在：{username}") from exc
        if not user.is_active:
            raise CommandError(f"用户已停用：{username}")
        if reset:
            Token.objects.filter(user=user).delete()
        token, created = Token.objects.get_or_create(user=user)
        if created:
            self.stderr.write(f"已为 {username} 创建新令牌")
        # Only the key on stdout, so scripts can capture it.
        self.stdout.write(token.key)
