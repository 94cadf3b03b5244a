"""How accounts log in: Django's e-mail and password check, after the log-in throttle."""

from django.contrib.auth.backends import ModelBackend

from dialogue.members import login_throttle


class PasswordBackend(ModelBackend):
    """Django's password check; a right password takes back the failed log-in that the
    throttle recorded before the check (`login_throttle.attempt_begin`)."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        user = super().authenticate(request, username=username, password=password, **kwargs)
        if user is not None:
            login_throttle.attempt_succeeded(request)
        return user
