"""The workspace's failure pages."""

urlpatterns: list = []
