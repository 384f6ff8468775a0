"""Import: bring a team's history in from the desk it leaves (Zendesk, Freshdesk, osTicket, django-helpdesk)."""
