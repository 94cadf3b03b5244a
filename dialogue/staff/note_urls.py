"""Staff pages for drafting and issuing Discussion Notes."""

urlpatterns: list = []
