"""The customer's answer to the one-question satisfaction survey (the check-in's answer is on the desk's CheckIn)."""

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models


class Rating(models.IntegerChoices):
    VERY_POOR = 1, "Very poor"
    POOR = 2, "Poor"
    OK = 3, "OK"
    GOOD = 4, "Good"
    EXCELLENT = 5, "Excellent"


class SurveyAnswer(models.Model):
    """One per request: a second submit changes it (and says so)."""

    ticket = models.OneToOneField("desk.Ticket", on_delete=models.CASCADE, related_name="survey_answer")
    rating = models.PositiveSmallIntegerField(
        choices=Rating.choices, validators=[MinValueValidator(1), MaxValueValidator(5)]
    )
    comment = models.TextField(blank=True)
    answered_at = models.DateTimeField()
    changed_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.ticket_id}: {self.rating}/5"
