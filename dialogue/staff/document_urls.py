"""Staff pages for documents, language versions and publication series."""

urlpatterns: list = []
