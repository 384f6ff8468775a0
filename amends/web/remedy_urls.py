"""The workspace's remedy pages."""

urlpatterns: list = []
