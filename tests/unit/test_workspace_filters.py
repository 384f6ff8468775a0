from datetime import UTC, datetime, timedelta

from amends.web.templatetags.workspace import ago

NOW = datetime(2026, 3, 6, 9, 30, tzinfo=UTC)


def test_ago_says_just_now_then_minutes_hours_and_days():
    assert ago(NOW - timedelta(seconds=20), NOW) == "just now"
    assert ago(NOW - timedelta(minutes=5), NOW) == "5 min ago"
    assert ago(NOW - timedelta(hours=1, minutes=30), NOW) == "1 h 30 min ago"
    assert ago(NOW - timedelta(days=2, hours=3), NOW) == "2 d 3 h ago"
    assert ago(None, NOW) == ""
