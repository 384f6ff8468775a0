"""The workspace's own records: a person's saved views of its lists."""

from django.db import models


class SavedView(models.Model):
    """A list as someone filtered and ordered it (its page and query string), under a name of theirs."""

    agent = models.ForeignKey("people.Agent", on_delete=models.CASCADE, related_name="saved_views")
    name = models.CharField(max_length=80)
    path = models.CharField(max_length=100)
    query = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["name", "id"]
        constraints = [models.UniqueConstraint(fields=["agent", "name"], name="saved_view_unique_name")]

    def __str__(self) -> str:
        return f"{self.name} ({self.agent_id})"

    @property
    def url(self) -> str:
        return self.path + (f"?{self.query}" if self.query else "")
