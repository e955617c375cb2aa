"""Typed business errors: a code, an HTTP status and a Chinese message for the user."""


class BusinessError(Exception):
    status = 422

    def __init__(self, message, code="invalid", status=None):
        super().__init__(str(message))
        self.code = code
        if status is not None:
            self.status = status
