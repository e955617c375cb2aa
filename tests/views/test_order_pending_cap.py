"""The 待发货 / 退单申请 counts on the order list tabs and the sidebar badge are capped:
exact up to PENDING_CAP, "<cap>+" beyond it (each status reads at most PENDING_CAP + 1
ids). The cap is patched down to the merchant's own counts instead of seeding 1,000 rows."""
import re

from sqlalchemy import func, select

from app.extensions import db
from app.tenancy import tenant_scope
from tests.conftest import merchant_id
from tests.views.fulfilment_fixtures import make_order

A = "鲜果时光"


def _count(app, status):
    from app.models.order import Order

    with app.app_context(), tenant_scope(merchant_id(app, A)):
        return db.session.execute(select(func.count(Order.id)).where(
            Order.status == status)).scalar()


def _shown(html):
    def tab(key):
        match = re.search(rf'data-tab="{key}">.*?</li>', html, re.S).group(0)
        count = re.search(r'md-tab-count">([^<]+)<', match)
        return count.group(1) if count else None

    badge = re.search(r'id="md-nav-badge-orders">([^<]+)<', html).group(1)
    return tab("awaiting_shipment"), tab("cancel_requested"), badge


def test_pending_counts_are_exact_below_the_cap_and_capped_above(app, login_as, monkeypatch):
    from app.views import order as order_view

    for _n in range(3):  # at least three orders to ship and one cancellation request
        make_order(app, status="awaiting_shipment", phone="13744000031")
    make_order(app, status="cancel_requested", phone="13744000032")
    owner = login_as("owner_a")
    waiting = _count(app, "awaiting_shipment")
    requested = _count(app, "cancel_requested")
    assert waiting >= 3 and requested >= 1

    # At the cap (and below it) the counts are exact.
    monkeypatch.setattr(order_view, "PENDING_CAP", waiting + requested)
    html = owner.get("/orderview/list/").get_data(as_text=True)
    assert _shown(html) == (str(waiting), str(requested), str(waiting + requested))

    # Beyond the cap: "<cap>+", on the tab and on the sidebar total.
    cap = waiting - 1
    monkeypatch.setattr(order_view, "PENDING_CAP", cap)
    html = owner.get("/orderview/list/").get_data(as_text=True)
    shown_waiting, shown_requested, badge = _shown(html)
    assert shown_waiting == f"{cap}+"
    assert shown_requested == (str(requested) if requested <= cap else f"{cap}+")
    assert badge == f"{cap}+"
    with app.test_request_context():
        with tenant_scope(merchant_id(app, A)):
            counts = order_view._capped_pending_counts(db.session)
    assert int(counts["awaiting_shipment"]) == cap + 1  # read no more than cap + 1 ids
    monkeypatch.undo()  # the real cap: 999 exact, 1,000 read shows "999+"
    assert order_view.PENDING_CAP == 999
    assert (str(order_view.CappedCount(999)), str(order_view.CappedCount(1000))) \
        == ("999", "999+")
