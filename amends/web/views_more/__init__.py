"""Workspace pages beyond the request itself: queues, my work, team availability, notifications.

Each view is thin: parse, check the role, call one selector or service, render."""
