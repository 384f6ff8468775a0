"""The import page's form: which desk the export comes from, its files, the team of new accounts, dry run."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.core.files.uploadedfile import UploadedFile

from amends.imports.formats import formats_available
from amends.people.models import Team


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """One file or several (Django's documented way to take many files in one field)."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput())
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None) -> list[UploadedFile]:
        single = super().clean
        if isinstance(data, list | tuple):
            return [single(d, initial) for d in data] if data else [single(None, initial)]
        return [single(data, initial)]


class ImportForm(forms.Form):
    format = forms.ChoiceField(label="Export of", error_messages={"required": "Choose the desk the export comes from."})
    files = MultipleFileField(  # type: ignore[assignment]  # the field is named as the page says it
        label="Files", help_text="The export's files (choose several at once), or one .zip of them.",
        error_messages={"required": "Choose the export's files, or one .zip of them.",
                        "empty": "That file is empty."},
    )
    team = forms.ModelChoiceField(
        label="Team for new accounts", queryset=Team.objects.order_by("name"), empty_label=None,
        help_text="Accounts the import adds are this team's; existing accounts keep theirs.",
        error_messages={"required": "Choose a team.", "invalid_choice": "Choose one of the teams."},
    )
    time_zone = forms.CharField(
        max_length=64, label="The old desk's time zone", required=False,
        help_text="CSV exports print the old desk's local time without saying its zone; give that zone "
                  "(JSON exports say theirs). Left empty: this desk's.",
        widget=forms.TextInput(attrs={"list": "time-zones", "autocomplete": "off", "spellcheck": "false"}),
        error_messages={"max_length": "A time zone name has at most 64 characters."},
    )
    dry_run = forms.BooleanField(
        label="Dry run: read and match everything, keep nothing", required=False, initial=True,
        help_text="See what would be created, matched and skipped; then import for real from the report.",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["format"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [(f.name, f.label) for f in formats_available()]
        field.error_messages["invalid_choice"] = "Choose one of the desks listed."
        self.fields["time_zone"].initial = settings.TIME_ZONE
