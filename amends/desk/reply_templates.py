"""Reply templates: the text of a message to the customer per situation and language, with `{{ name }}`
placeholders filled from a fixed set of variables. Nothing else in a template is interpreted: no
attribute access, no filters, no tags, so text that leads and admins edit can never reach into the
objects behind the values.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from django.conf import settings

from amends.core.errors import DomainError
from amends.desk.models import ReplyTemplate, Situation

LANGUAGES = ("en", "de")
FALLBACK = "en"
PLACEHOLDER = re.compile(r"\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}")
ANY_BRACES = re.compile(r"\{\{(.*?)\}\}", re.DOTALL)

VARIABLES: dict[str, str] = {  # name -> what it holds, shown to the people who edit templates
    "contact_name": "the customer's name",
    "account": "the customer's account",
    "reference": "the request's reference, e.g. AM-123",
    "subject": "the request's subject",
    "owner": "who looks after the request",
    "team": "the team's name",
    "agent": "who writes (the person sending the reply)",
    "due": "when the customer will hear back next (the next promise's due time)",
    "portal_link": "the link to the request in the customer portal",
    "looking_after": "a sentence: who is looking after the request",
    "hear_back": "a sentence: when the customer will hear back, from the real deadlines and cover",
}

DEFAULTS: dict[tuple[str, str], tuple[str, str]] = {
    (Situation.ACKNOWLEDGE, "en"): (
        "We have your request: {{ subject }}",
        "Dear {{ contact_name }},\n\nthank you for getting in touch. Your request has the reference "
        "{{ reference }}.\n\n{{ looking_after }} {{ hear_back }}\n\nYou can follow it here: {{ portal_link }}\n\n"
        "If you write again, just reply to this email.\n\n{{ team }}",
    ),
    (Situation.ACKNOWLEDGE, "de"): (
        "Wir haben Ihre Anfrage erhalten: {{ subject }}",
        "Guten Tag {{ contact_name }},\n\nvielen Dank für Ihre Nachricht. Ihre Anfrage hat die Nummer "
        "{{ reference }}.\n\n{{ looking_after }} {{ hear_back }}\n\nDen Stand sehen Sie hier: {{ portal_link }}\n\n"
        "Wenn Sie uns noch etwas sagen möchten, antworten Sie einfach auf diese E-Mail.\n\n{{ team }}",
    ),
    (Situation.CALLBACK, "en"): (
        "We will call you back",
        "Dear {{ contact_name }},\n\nwe will call you back about {{ reference }} by {{ due }}.\n\n"
        "Best regards,\n{{ agent }}\n{{ team }}",
    ),
    (Situation.CALLBACK, "de"): (
        "Wir rufen Sie zurück",
        "Guten Tag {{ contact_name }},\n\nwir rufen Sie zu {{ reference }} bis {{ due }} zurück.\n\n"
        "Mit freundlichen Grüßen\n{{ agent }}\n{{ team }}",
    ),
    (Situation.UPDATE, "en"): (
        "An update on your request",
        "Dear {{ contact_name }},\n\nhere is where we are with {{ reference }}:\n\n\n\n"
        "Best regards,\n{{ agent }}\n{{ team }}",
    ),
    (Situation.UPDATE, "de"): (
        "Neuigkeiten zu Ihrer Anfrage",
        "Guten Tag {{ contact_name }},\n\nhier der Stand zu {{ reference }}:\n\n\n\n"
        "Mit freundlichen Grüßen\n{{ agent }}\n{{ team }}",
    ),
    (Situation.SHIPPED, "en"): (
        "It is on its way",
        "Dear {{ contact_name }},\n\nwe have shipped what we agreed for {{ reference }}. There is nothing to pay "
        "unless we told you so.\n\nBest regards,\n{{ agent }}\n{{ team }}",
    ),
    (Situation.SHIPPED, "de"): (
        "Ihre Sendung ist unterwegs",
        "Guten Tag {{ contact_name }},\n\nwir haben das für {{ reference }} Vereinbarte verschickt. Es entstehen "
        "Ihnen keine Kosten, außer wir haben es Ihnen gesagt.\n\nMit freundlichen Grüßen\n{{ agent }}\n{{ team }}",
    ),
    (Situation.APOLOGY, "en"): (
        "We are sorry",
        "Dear {{ contact_name }},\n\nwe let you down on {{ reference }}. It was our mistake, and we are sorry.\n\n"
        "What went wrong: \n\nWhat happens next: \n\n{{ owner }} is looking after this personally and will "
        "keep you posted until it is put right.\n\nBest regards,\n{{ agent }}\n{{ team }}",
    ),
    (Situation.APOLOGY, "de"): (
        "Es tut uns leid",
        "Guten Tag {{ contact_name }},\n\nbei {{ reference }} haben wir Sie enttäuscht. Der Fehler lag bei uns, "
        "und das tut uns leid.\n\nWas schiefging: \n\nWie es weitergeht: \n\n{{ owner }} kümmert sich "
        "persönlich darum und hält Sie auf dem Laufenden, bis alles wieder in Ordnung ist.\n\n"
        "Mit freundlichen Grüßen\n{{ agent }}\n{{ team }}",
    ),
    (Situation.CHECK_IN, "en"): (
        "Is everything all right?",
        "Dear {{ contact_name }},\n\nwe wanted to check that all is well after {{ reference }}. If anything is "
        "not as it should be, just reply to this email.\n\nBest regards,\n{{ agent }}\n{{ team }}",
    ),
    (Situation.CHECK_IN, "de"): (
        "Ist alles in Ordnung?",
        "Guten Tag {{ contact_name }},\n\nwir möchten nachfragen, ob nach {{ reference }} alles in Ordnung ist. "
        "Falls nicht, antworten Sie einfach auf diese E-Mail.\n\nMit freundlichen Grüßen\n{{ agent }}\n{{ team }}",
    ),
    (Situation.FIX_HELD, "en"): (
        "The fix held",
        "Dear {{ contact_name }},\n\nwhen we let you down on {{ reference }}, we promised to find out why and to "
        "stop it happening again. We changed how we work, and we have watched since: it has not happened again, "
        "to you or to anyone else. Thank you for your patience.\n\nBest regards,\n{{ agent }}\n{{ team }}",
    ),
    (Situation.FIX_HELD, "de"): (
        "Die Korrektur hat gehalten",
        "Guten Tag {{ contact_name }},\n\nals wir Sie bei {{ reference }} enttäuscht haben, haben wir versprochen, "
        "die Ursache zu finden und dafür zu sorgen, dass es nicht wieder passiert. Wir haben unsere Abläufe geändert "
        "und seitdem genau hingesehen: Es ist nicht wieder passiert, weder Ihnen noch anderen Kunden. Danke für Ihre "
        "Geduld.\n\nMit freundlichen Grüßen\n{{ agent }}\n{{ team }}",
    ),
}

_WEEKDAYS = {"en": ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"), "de": ("Mo", "Di", "Mi", "Do", "Fr", "Sa", "So")}
_MONTHS = {
    "en": ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"),
    "de": ("Jan.", "Feb.", "März", "Apr.", "Mai", "Juni", "Juli", "Aug.", "Sep.", "Okt.", "Nov.", "Dez."),
}
# A customer-affecting action's kind, as a notice lists it (English: the kinds' own labels).
ACTION_KINDS: dict[str, dict[str, str]] = {
    "de": {
        "ship": "Versand", "replace": "Ersatz", "charge": "Berechnung", "credit": "Gutschrift",
        "refund": "Erstattung", "visit": "Besuch", "cancel": "Stornierung", "gift": "Geschenk",
        "redo": "Neu ausgeführt", "expedite": "Vorrang", "letter": "Entschuldigungsschreiben",
    },
}

PHRASES: dict[str, dict[str, str]] = {
    "en": {
        "owner": "{owner} is looking after it.",
        "on_duty": "We are closed now; {owner}, on duty for {team}, has it.",
        "nobody": "The {team} team will take it up.",
        "complaint": "Your complaint is with a team lead, not with the person who handled your request, and only "
                     "our team sees it.",
        "hear_back": "You will hear from us by {due}.",
        "closed": "It is outside our hours now: we will answer by {due}.",
        "no_due": "We will be in touch soon.",
        "answer_link": "Tell us in one click, with a comment if you like:\n{link}\n\nIf something arrived that you "
                       "did not expect, please say so: we want to know.",
        # A notice naming customer-affecting actions (amends.desk.actions.notice_send).
        "greeting": "Dear {name},",
        "actions_header": "What we are doing about your request {reference}:",
        "unexpected": "If anything here is unexpected, just reply to this email.",
        # A failure's remedy, delivered (amends.recovery.remedies).
        "making_right_subject": "Making it right",
        "making_right": "We are sorry again that we let you down on {reference} ({subject}). To make it right, "
                        "{what}.{free} Accounting will confirm any credit or refund separately.",
        "free": " It costs you nothing.",
        "remedy_credit": "we have credited your account", "remedy_refund": "we are refunding you",
        "remedy_gift": "we would like to send you a small gift", "remedy_redo": "we are doing the work again",
        "remedy_expedite": "we are putting your order first", "remedy_visit": "we will come and see you",
        "remedy_apology_letter": "we have written to you personally",
    },
    "de": {
        "owner": "{owner} kümmert sich darum.",
        "on_duty": "Wir haben gerade geschlossen; {owner} hat für {team} Bereitschaft und kümmert sich darum.",
        "nobody": "Das Team {team} nimmt sich Ihrer Anfrage an.",
        "complaint": "Ihre Beschwerde liegt bei einer Teamleitung, nicht bei der Person, die Ihre Anfrage "
                     "bearbeitet hat, und nur unser Team sieht sie.",
        "hear_back": "Sie hören bis {due} von uns.",
        "closed": "Wir sind gerade außerhalb unserer Geschäftszeiten: Sie hören bis {due} von uns.",
        "no_due": "Wir melden uns bald bei Ihnen.",
        "answer_link": "Sagen Sie es uns mit einem Klick, gern mit einem Kommentar:\n{link}\n\nWenn etwas bei "
                       "Ihnen ankam, womit Sie nicht gerechnet haben, sagen Sie es uns bitte.",
        "greeting": "Guten Tag {name},",
        "actions_header": "Was wir zu Ihrer Anfrage {reference} tun:",
        "unexpected": "Wenn Ihnen hier etwas unerwartet vorkommt, antworten Sie einfach auf diese E-Mail.",
        "making_right_subject": "Wir machen es wieder gut",
        "making_right": "Es tut uns noch einmal leid, dass wir Sie bei {reference} ({subject}) enttäuscht haben. "
                        "Um es wieder gutzumachen, {what}.{free} Eine Gutschrift oder Erstattung bestätigt Ihnen "
                        "unsere Buchhaltung gesondert.",
        "free": " Es entstehen Ihnen keine Kosten.",
        "remedy_credit": "haben wir Ihrem Konto einen Betrag gutgeschrieben",
        "remedy_refund": "erstatten wir Ihnen den Betrag", "remedy_gift": "möchten wir Ihnen ein kleines Geschenk senden",
        "remedy_redo": "erledigen wir die Arbeit noch einmal", "remedy_expedite": "bearbeiten wir Ihre Bestellung zuerst",
        "remedy_visit": "besuchen wir Sie", "remedy_apology_letter": "haben wir Ihnen persönlich geschrieben",
    },
}


def language_of(code: str | None) -> str:
    """The language to write in: the contact's when templates exist for it, else English."""
    return code if code in LANGUAGES else FALLBACK


def due_text(ts: datetime, language: str, zone: str = "") -> str:
    """'Mon 09:30' when within the coming week, else 'Mon 14 Dec 09:30' (German: 'Mo 14. Dez. 09:30'),
    in the team's time zone."""
    local = ts.astimezone(ZoneInfo(zone or settings.TIME_ZONE))
    language = language_of(language)
    day = _WEEKDAYS[language][local.weekday()]
    month = _MONTHS[language][local.month - 1]
    date = f"{local.day}. {month}" if language == "de" else f"{local.day} {month}"
    return f"{day} {date} {local:%H:%M}"


def template_check(text: str, *, field: str = "body") -> str:
    """Refuse a placeholder that is not one of the variables, naming it and the ones there are."""
    for match in ANY_BRACES.finditer(text):
        name = match.group(1).strip()
        if name not in VARIABLES:
            raise DomainError(f"{{{{ {name[:60]} }}}} is not a variable; use one of {', '.join(VARIABLES)}", field=field)
    return text


def render(text: str, values: Mapping[str, str]) -> str:
    """Fill each `{{ name }}` with its value (unknown names stay as written; nothing else is read)."""
    return PLACEHOLDER.sub(lambda m: str(values[m.group(1)]) if m.group(1) in values else m.group(0), text)


@dataclass(frozen=True)
class Wording:
    subject: str
    body: str


def template_for(situation: str, language: str) -> Wording:
    """The template for a situation in a language: the one leads saved, else in English, else the default."""
    if situation not in Situation.values:
        raise DomainError(f"unknown template {situation!r}; choose one of {', '.join(Situation.values)}",
                          field="template")
    language = language_of(language)
    saved = {t.language: t for t in ReplyTemplate.objects.filter(situation=situation, language__in={language, FALLBACK})}
    found = saved.get(language)
    if found is not None:
        return Wording(found.subject, found.body)
    subject, body = DEFAULTS.get((situation, language)) or DEFAULTS[(situation, FALLBACK)]
    return Wording(subject, body)


def template_save(situation: str, language: str, *, subject: str, body: str, now: datetime) -> ReplyTemplate:
    """Save the wording of one situation in one language (placeholders checked)."""
    if situation not in Situation.values:
        raise DomainError(f"unknown template {situation!r}", field="situation")
    if language not in LANGUAGES:
        raise DomainError(f"choose one of the languages {', '.join(LANGUAGES)}", field="language")
    subject = template_check(" ".join(subject.split()), field="subject")
    body = template_check(body.strip(), field="body")
    if not subject or not body:
        raise DomainError("a template needs a subject and a text", field="subject" if not subject else "body")
    row, _ = ReplyTemplate.objects.update_or_create(
        situation=situation, language=language, defaults={"subject": subject[:200], "body": body, "updated_at": now},
    )
    return row
