"""`amends bench`: the project's own benchmark for the performance targets in DESIGN.md.

It builds a scratch database on the configured engine, fills it in bulk, times the watchdog tick
at 10,000 and 1,000,000 requests, times the needs-attention and queue pages (p50/p95, signed in as a
team lead) at 1,000,000, and measures request intake through the API against the same server's
one-row floor endpoint and the bare database insert rate.
"""
