"""The customer side: accounts (with a tier that selects policies) and their contacts."""

from django.db import models
from django.db.models import Q


class Tier(models.TextChoices):
    STANDARD = "standard", "Standard"
    PRIORITY = "priority", "Priority"
    PREMIER = "premier", "Premier"


class Language(models.TextChoices):
    """The languages customer email is written in (reply templates exist for each)."""

    ENGLISH = "en", "English"
    GERMAN = "de", "Deutsch"


class Account(models.Model):
    name = models.CharField(max_length=200, unique=True)
    tier = models.CharField(max_length=10, choices=Tier.choices, default=Tier.STANDARD)
    team = models.ForeignKey("people.Team", on_delete=models.PROTECT, related_name="accounts")
    usual_agent = models.ForeignKey(
        "people.Agent", null=True, blank=True, on_delete=models.SET_NULL, related_name="accounts",
        help_text="Who normally looks after this account; gets its new requests when available.",
    )
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Contact(models.Model):
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="contacts")
    name = models.CharField(max_length=200)
    email = models.EmailField(blank=True)
    phone = models.CharField(max_length=40, blank=True)
    language = models.CharField(
        max_length=8, choices=Language.choices, default=Language.ENGLISH,
        help_text="The language of the email they get from us.",
    )
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["account", "email"], condition=~Q(email=""), name="contact_unique_email"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.account})"
