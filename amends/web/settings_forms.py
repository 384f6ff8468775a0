"""The settings pages' forms: a policy's targets, written in minutes as the API writes them."""

from __future__ import annotations

from django import forms

from amends.policies.models import OutOfHours, Policy

MINUTES = {"min_value": "Give at least 1 minute.", "required": "Give the target in minutes.",
           "invalid": "Give a whole number of minutes.", "max_value": "At most a year (525,600 minutes)."}


def _minutes(label: str, help_text: str) -> forms.IntegerField:
    return forms.IntegerField(label=label, help_text=help_text, min_value=1, max_value=525_600,
                              error_messages=MINUTES, widget=forms.NumberInput(attrs={"inputmode": "numeric"}))


class PolicyForm(forms.Form):
    assign_minutes = _minutes("Assign within (minutes)", "Longest a request may stay unowned.")
    first_response_minutes = _minutes("First response within (minutes)",
                                      "By email or web form; a phone call is answered as it comes in.")
    resolution_minutes = _minutes("Resolve within (minutes)", "From opening to resolved, paused while waiting on "
                                                              "the customer.")
    business_hours = forms.BooleanField(
        required=False, label="Count only the team’s opening hours",
        help_text="Off: wall-clock time, as for urgent work.")
    waiting_followup_minutes = _minutes("Follow up a waiting request after (minutes)",
                                        "While waiting on the customer, when the owner must follow up.")
    order_lead_minutes = _minutes("Order at risk this close to its need-by time (minutes)",
                                  "An order not yet dispatched this close to its need-by time is flagged.")
    out_of_hours = forms.ChoiceField(
        required=False, label="Out of hours",
        choices=[("", "The default (urgent covered; high covered for premier; the rest waits)"),
                 *OutOfHours.choices])

    @classmethod
    def of(cls, policy: Policy) -> PolicyForm:
        return cls(initial={name: getattr(policy, name) for name in cls.base_fields})
