"""API representations of the signed-in user and API tokens."""

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from civicloop.accounts.models import Membership, Role, User


class RoleSerializer(serializers.Serializer):
    code = serializers.ChoiceField(choices=Role.choices)
    label = serializers.CharField()


class MembershipSerializer(serializers.ModelSerializer):
    role_display = serializers.CharField(source="get_role_display", read_only=True)
    unit_name = serializers.CharField(
        source="unit.name", read_only=True, allow_null=True, default=None
    )
    area_name = serializers.CharField(
        source="area.name", read_only=True, allow_null=True, default=None
    )

    class Meta:
        model = Membership
        fields = ["id", "role", "role_display", "unit", "unit_name", "area", "area_name", "title"]
        read_only_fields = fields


class MeSerializer(serializers.ModelSerializer):
    name = serializers.CharField(read_only=True)
    roles = serializers.SerializerMethodField()
    memberships = MembershipSerializer(many=True, read_only=True)

    class Meta:
        model = User
        fields = [
            "id",
            "username",
            "name",
            "display_name",
            "email",
            "phone",
            "is_superuser",
            "roles",
            "memberships",
            "last_login",
        ]
        read_only_fields = fields

    @extend_schema_field(RoleSerializer(many=True))
    def get_roles(self, user: User) -> list[dict]:
        # From the prefetched memberships, in Role order, each role once.
        held = {m.role for m in user.memberships.all()}
        if user.is_superuser:
            held = set(Role.values)
        return RoleSerializer(
            [{"code": r.value, "label": r.label} for r in Role if r.value in held], many=True
        ).data


class TokenRequestSerializer(serializers.Serializer):
    username = serializers.CharField()
    password = serializers.CharField(style={"input_type": "password"}, trim_whitespace=False)


class TokenResponseSerializer(serializers.Serializer):
    token = serializers.CharField(help_text='Send as header "Authorization: Token <token>".')
    user_id = serializers.IntegerField()
    username = serializers.CharField()
