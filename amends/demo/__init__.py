"""The demo company, Brightwire IT: an app on top of all the others."""
