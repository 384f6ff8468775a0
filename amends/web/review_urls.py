"""The workspace's review pages."""

urlpatterns: list = []
