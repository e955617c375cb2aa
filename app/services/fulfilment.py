"""What shipping, refunds, after-sales and verification share: their error type, the
status texts their messages name and a compare-and-set on a status column."""
from sqlalchemy import update

from app.models.order import LOGISTICS_STATUS, ORDER_STATUS
from app.services.errors import BusinessError


class FulfilmentError(BusinessError):
    """A refused fulfilment step: a Chinese message (formatted with ``params`` after
    translation) and optionally the form ``field`` it belongs to."""

    def __init__(self, message, code="invalid", status=None, field=None, **params):
        super().__init__(message, code=code, status=status)
        self.field = field
        self.params = params

    def __str__(self):
        text = super().__str__()
        return text % {k: str(v) for k, v in self.params.items()} if self.params else text


def status_text(status, choices=ORDER_STATUS):
    """The Chinese label of a status code (translated when shown)."""
    return next((str(label) for code, label in choices if code == status), status or "")


def logistics_text(status):
    return status_text(status, LOGISTICS_STATUS)


def move_status(session, model, row, allowed, new_status, **values):
    """Compare-and-set ``row.status`` from one of ``allowed`` to ``new_status`` (plus
    ``values``) in one UPDATE; False when another request moved it first."""
    table = model.__table__
    result = session.execute(update(table).where(table.c.id == row.id,
                                                 table.c.status.in_(list(allowed)))
                             .values(status=new_status, **values))
    if result.rowcount != 1:
        return False
    session.expire(row)
    return True
