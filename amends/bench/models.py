"""The floor endpoint's row: the least a durable one-row insert through the stack can cost."""

from django.db import models


class FloorRow(models.Model):
    created_at = models.DateTimeField()
    payload = models.CharField(max_length=200, blank=True)

    def __str__(self) -> str:
        return f"floor row {self.pk}"
