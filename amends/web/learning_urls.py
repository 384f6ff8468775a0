"""The workspace's learning pages."""

urlpatterns: list = []
