"""Request context (the client's address) made available to the audit trail."""

import contextvars
import ipaddress

_ip: contextvars.ContextVar[str | None] = contextvars.ContextVar("dialogue_ip", default=None)


def current_ip() -> str | None:
    """The address of the client whose request is being served, if any."""
    return _ip.get()


class RequestContextMiddleware:
    """Remember the client's address for the duration of the request."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        address = request.META.get("REMOTE_ADDR")
        try:
            address = str(ipaddress.ip_address(address)) if address else None
        except ValueError:
            address = None
        token = _ip.set(address)
        try:
            return self.get_response(request)
        finally:
            _ip.reset(token)
