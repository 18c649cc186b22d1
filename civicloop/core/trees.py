"""Materialised-path maintenance for TreeNode models (units, areas, categories)."""

from django.db import transaction
from django.db.models import Model, Value
from django.db.models.functions import Concat, Substr

from civicloop.core.errors import ValidationFailed


def path_for(node: Model) -> str:
    parent_path = node.parent.path if node.parent_id else "/"
    return f"{parent_path}{node.pk}/"


def assign_path(node: Model) -> None:
    """Set path/depth of a freshly saved node (its pk is needed, so after the insert)."""
    node.path = path_for(node)
    node.depth = node.path.count("/") - 2
    type(node).objects.filter(pk=node.pk).update(path=node.path, depth=node.depth)


def subtree(model: type[Model], node: Model):
    return model.objects.filter(path__startswith=node.path)


@transaction.atomic
def move(node: Model, new_parent: Model | None) -> None:
    """Re-parent a node and rewrite the paths of its whole subtree in one UPDATE."""
    model = type(node)
    if new_parent is not None and new_parent.path.startswith(node.path):
        raise ValidationFailed("不能把节点移动到它自己或它的下级之下")
    old_path = node.path
    node.parent = new_parent
    node.save(update_fields=["parent"])
    new_path = path_for(node)
    depth_delta = (new_path.count("/") - 2) - node.depth
    from django.db.models import F

    model.objects.filter(path__startswith=old_path).update(
        path=Concat(Value(new_path), Substr("path", len(old_path) + 1)),
        depth=F("depth") + depth_delta,
    )
    node.refresh_from_db(fields=["path", "depth"])


def rebuild_paths(model: type[Model]) -> int:
    """Recompute every path from the parent links (after bulk imports). Returns row count."""
    rows = list(model.objects.values_list("pk", "parent_id"))
    children: dict[int | None, list[int]] = {}
    for pk, parent_id in rows:
        children.setdefault(parent_id, []).append(pk)
    updates = []
    stack = [(pk, "/") for pk in children.get(None, [])]
    while stack:
        pk, prefix = stack.pop()
        path = f"{prefix}{pk}/"
        updates.append(model(pk=pk, path=path, depth=path.count("/") - 2))
        stack.extend((child, path) for child in children.get(pk, []))
    model.objects.bulk_update(updates, ["path", "depth"], batch_size=2000)
    return len(updates)
