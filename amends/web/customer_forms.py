"""The customer pages' forms: a contact's details, and which duplicate to merge into a contact."""

from __future__ import annotations

from django import forms

from amends.customers.models import Contact, Language


class ContactForm(forms.Form):
    name = forms.CharField(max_length=200, error_messages={"required": "Give the contact’s name."})
    email = forms.EmailField(required=False, max_length=254,
                             error_messages={"invalid": "That email address doesn’t look right."})
    phone = forms.CharField(max_length=40, required=False)
    language = forms.ChoiceField(choices=Language.choices, label="Language of our email")


class ContactChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Contact) -> str:
        return f"{obj.name} <{obj.email}>" if obj.email else obj.name


class MergeForm(forms.Form):
    duplicate = ContactChoiceField(
        queryset=Contact.objects.none(), empty_label="Choose the duplicate…", label="Duplicate of this contact",
        error_messages={"required": "Choose the contact that is a duplicate of this one.",
                        "invalid_choice": "That contact is not another contact of this account (it may have been "
                                          "merged a moment ago)."},
    )
    confirm = forms.BooleanField(
        label="I understand the duplicate is removed and its requests, messages and portal sign-in move here",
        error_messages={"required": "Tick the box to confirm the merge: the duplicate is removed."},
    )

    def __init__(self, contact: Contact, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["duplicate"]
        assert isinstance(field, ContactChoiceField)
        field.queryset = contact.account.contacts.exclude(pk=contact.pk).order_by("name", "id")
