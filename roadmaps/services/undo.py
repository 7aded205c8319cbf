"""Undoing a deletion: the deleted rows are kept as a snapshot (Django's JSON serialization,
ids and timestamps included) and written back as they were.

A snapshot is taken inside the deleting transaction, before the delete, and handed to the
caller (the pages keep the latest one in the learner's session); restoring it is one
transaction that refuses rows that are not the learner's or that exist again, so an undo can
never overwrite anything or reach another learner's data.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import datetime

from django.core import serializers
from django.core.exceptions import ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.db import IntegrityError, models, transaction

UNDO_NOT_POSSIBLE = "This can no longer be undone: {reason}."
ALREADY_BACK = "it is already back"
NOT_YOURS_ANY_MORE = "what it belonged to was deleted since"


class _ExactJSONEncoder(DjangoJSONEncoder):
    """Django's encoder keeps milliseconds only; a restored row keeps its exact times."""

    def default(self, o):
        return o.isoformat() if isinstance(o, datetime) else super().default(o)


def deletion_snapshot(objects: Iterable[models.Model]) -> str:
    """The rows about to be deleted, parents before children (the order they are restored in)."""
    return json.dumps(serializers.serialize("python", list(objects)), cls=_ExactJSONEncoder)


@transaction.atomic
def deletion_restore(*, owner, snapshot: str) -> list[models.Model]:
    """The snapshot's rows written back with their ids; ValidationError (nothing written) when
    one exists again, is not the owner's, or points at a row deleted since."""
    restored = []
    for item in serializers.deserialize("python", json.loads(snapshot)):
        row = item.object
        model = type(row)
        if model.objects.filter(pk=row.pk).exists():
            raise ValidationError(UNDO_NOT_POSSIBLE.format(reason=ALREADY_BACK))
        try:
            with transaction.atomic():
                item.save()
        except IntegrityError as error:
            raise ValidationError(UNDO_NOT_POSSIBLE.format(reason=NOT_YOURS_ANY_MORE)) from error
        # Foreign keys are checked at commit; the owner's join finds a row only when its parents
        # exist and are the owner's, so this refuses both before anything is committed.
        if not model.objects.for_learner(owner).filter(pk=row.pk).exists():
            raise ValidationError(UNDO_NOT_POSSIBLE.format(reason=NOT_YOURS_ANY_MORE))
        restored.append(row)
    return restored
