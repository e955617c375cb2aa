"""Typed business errors: a code, an HTTP status and a Chinese message for the user."""


def N_(message):
    """Mark a message for extraction (pybabel's default keyword) without translating it
    here: services stay free of Flask; ``BusinessError`` translates it when shown."""
    return message


class BusinessError(Exception):
    status = 422

    def __init__(self, message, code="invalid", status=None):
        super().__init__(str(message))
        self.code = code
        if status is not None:
            self.status = status

    def __str__(self):
        """The message in the request's language (the Chinese msgid outside a request or
        when it was already translated by the caller)."""
        message = super().__str__()
        try:
            from flask_babel import gettext
        except ImportError:  # pragma: no cover - services used without the web app
            return message
        return gettext(message)
