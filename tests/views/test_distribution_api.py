"""分销 in the shop API: apply (only while the rules show the entry), staff approve or
reject in 申请分销商管理, the commission balance and ledger, withdrawal requests within the
balance less pending requests, approved in 分销商申请提现管理."""
from decimal import Decimal

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models.member import (CommissionLedger, Distributor, DistributionRule, Member,
                               Withdrawal)
from app.services import distribution
from app.services import member as member_service
from app.tenancy import platform_scope, tenant_scope
from tests.conftest import merchant_id

PREFIX = "1346699"
APPLY = {"name": "周分销", "city": "杭州", "phone": PREFIX + "0001"}


@pytest.fixture()
def world(app):
    mid = merchant_id(app, "鲜果时光")
    with app.app_context(), tenant_scope(mid):
        rule = distribution.distribution_rule(db.session, mid)
        saved = rule.show_apply
        rule.show_apply = True
        member = member_service.create_member(db.session, nickname="想分销",
                                              phone=PREFIX + "0001")
        other = member_service.create_member(db.session, nickname="旁观者",
                                             phone=PREFIX + "0002")
        db.session.commit()
        auth = {m.id: {"Authorization": f"Bearer {member_service.issue_member_token(m)}"}
                for m in (member, other)}
        ids = (member.id, other.id)
    yield {"mid": mid, "member": ids[0], "auth": auth[ids[0]], "other_auth": auth[ids[1]]}
    with app.app_context(), platform_scope():
        dist = select(Distributor.id).where(Distributor.member_id.in_(ids))
        db.session.execute(Withdrawal.__table__.delete().where(
            Withdrawal.distributor_id.in_(dist)))
        db.session.execute(CommissionLedger.__table__.delete().where(
            CommissionLedger.distributor_id.in_(dist)))
        db.session.execute(Distributor.__table__.delete().where(Distributor.member_id.in_(ids)))
        db.session.execute(Member.__table__.delete().where(Member.phone.like(PREFIX + "%")))
        db.session.execute(DistributionRule.__table__.update().where(
            DistributionRule.merchant_id == mid).values(show_apply=saved))
        db.session.commit()


def _review(login_as, view, pk, **data):
    owner = login_as("owner_a")
    url = f"/{view}/review/{pk}"
    return owner.post(url, data={"csrf_token": owner.csrf(url), **data})


def _credit(app, world, amount, key):
    with app.app_context(), tenant_scope(world["mid"]):
        row = db.session.execute(select(Distributor).where(
            Distributor.member_id == world["member"])).scalar_one()
        distribution.credit_commission(db.session, row, Decimal(amount), "订单提成", key, key)
        db.session.commit()


def _approved(client, world, login_as):
    response = client.post("/api/v1/distribution/apply", json=APPLY, headers=world["auth"])
    assert response.status_code == 201, response.get_json()
    _review(login_as, "distributorview", response.get_json()["id"], decision="approve",
            rate="8.5")
    return response.get_json()["id"]


def test_apply_pending_then_approved(app, client, login_as, world):
    status = client.get("/api/v1/distribution", headers=world["auth"]).get_json()
    assert status == {"show_apply": True, "application": None}
    response = client.post("/api/v1/distribution/apply", json=APPLY, headers=world["auth"])
    assert response.status_code == 201
    data = response.get_json()
    assert data["status"] == "pending" and data["city"] == "杭州"
    again = client.post("/api/v1/distribution/apply", json=APPLY, headers=world["auth"])
    assert again.status_code == 409 and again.get_json()["error"] == "已提交申请，请等待商家审核"
    # Staff see it in 申请分销商管理 and approve it with a rate.
    page = login_as("owner_a").get("/distributorview/list/").get_data(as_text=True)
    assert "周分销" in page
    _review(login_as, "distributorview", data["id"], decision="approve", rate="8.5")
    status = client.get("/api/v1/distribution", headers=world["auth"]).get_json()
    assert status["application"]["status"] == "approved"
    assert status["application"]["commission_rate"] == "8.50"
    assert status["application"]["commission_balance"] == "0.00"
    again = client.post("/api/v1/distribution/apply", json=APPLY, headers=world["auth"])
    assert again.status_code == 409 and again.get_json()["error"] == "您已经是分销商"


def test_rejected_may_apply_again(app, client, login_as, world):
    first = client.post("/api/v1/distribution/apply", json=APPLY,
                        headers=world["auth"]).get_json()
    _review(login_as, "distributorview", first["id"], decision="reject", reason="资料不全")
    status = client.get("/api/v1/distribution", headers=world["auth"]).get_json()
    assert status["application"]["status"] == "rejected"
    assert status["application"]["reject_reason"] == "资料不全"
    again = client.post("/api/v1/distribution/apply", headers=world["auth"],
                        json={**APPLY, "city": "宁波"})
    assert again.status_code == 201 and again.get_json()["id"] == first["id"]
    assert again.get_json()["status"] == "pending" and again.get_json()["reject_reason"] is None


def test_apply_closed_and_bad_fields(app, client, world):
    for body, error in (({**APPLY, "name": ""}, "请填写姓名"),
                        ({**APPLY, "city": "城" * 33}, "城市最多 32 个字"),
                        ({**APPLY, "phone": "110"}, "请输入 11 位中国大陆手机号")):
        response = client.post("/api/v1/distribution/apply", json=body, headers=world["auth"])
        assert response.status_code == 422 and response.get_json()["error"] == error
    with app.app_context(), tenant_scope(world["mid"]):
        distribution.distribution_rule(db.session).show_apply = False
        db.session.commit()
    response = client.post("/api/v1/distribution/apply", json=APPLY, headers=world["auth"])
    assert response.status_code == 403 and response.get_json()["error"] == "商家暂未开放分销商申请"
    assert client.get("/api/v1/distribution", headers=world["auth"]).get_json()[
        "show_apply"] is False


def test_ledger_and_withdrawals_need_an_approved_distributor(client, world):
    response = client.post("/api/v1/distribution/withdrawals", json={"amount": "1"},
                           headers=world["auth"])
    assert response.status_code == 403 and response.get_json()["error"] == "您还不是分销商"
    ledger = client.get("/api/v1/distribution/ledger", headers=world["auth"]).get_json()
    assert ledger == {"distributor": False, "page": 1, "commission_balance": "0.00",
                      "rows": []}
    listed = client.get("/api/v1/distribution/withdrawals", headers=world["auth"]).get_json()
    assert listed["distributor"] is False and listed["rows"] == []
    assert client.get("/api/v1/distribution/ledger").status_code == 401


def test_balance_ledger_and_withdrawal_limits(app, client, login_as, world):
    _approved(client, world, login_as)
    _credit(app, world, "100.00", "test-order-1")
    _credit(app, world, "20.50", "test-order-2")
    ledger = client.get("/api/v1/distribution/ledger", headers=world["auth"]).get_json()
    assert ledger["commission_balance"] == "120.50"
    assert [(r["kind"], r["delta"], r["balance_after"]) for r in ledger["rows"]] == [
        ("order", "20.50", "120.50"), ("order", "100.00", "100.00")]
    for amount, error in (("0", "金额必须大于 0"), ("-5", "金额必须大于 0"), ("abc", "请输入有效的金额"),
                          ("1.005", "金额最多两位小数"),
                          ("120.51", "可提现金额不足：当前可提现 120.50 元，申请提现 120.51 元")):
        response = client.post("/api/v1/distribution/withdrawals", json={"amount": amount},
                               headers=world["auth"])
        assert response.status_code == 422 and response.get_json()["error"] == error, amount
    first = client.post("/api/v1/distribution/withdrawals", json={"amount": "100"},
                        headers=world["auth"])
    assert first.status_code == 201 and first.get_json()["status"] == "pending"
    # The pending request holds its amount: only 20.50 is left to ask for.
    response = client.post("/api/v1/distribution/withdrawals", json={"amount": "30"},
                           headers=world["auth"])
    assert response.status_code == 422
    assert "当前可提现 20.50 元" in response.get_json()["error"]
    listed = client.get("/api/v1/distribution/withdrawals", headers=world["auth"]).get_json()
    assert listed["withdrawable"] == "20.50" and listed["rows"][0]["amount"] == "100.00"
    # Staff approve it: the balance and the ledger follow.
    _review(login_as, "withdrawalview", first.get_json()["id"], decision="approve")
    ledger = client.get("/api/v1/distribution/ledger", headers=world["auth"]).get_json()
    assert ledger["commission_balance"] == "20.50"
    assert ledger["rows"][0]["kind"] == "withdrawal" and ledger["rows"][0]["delta"] == "-100.00"
    status = client.get("/api/v1/distribution", headers=world["auth"]).get_json()
    assert status["application"]["withdrawable"] == "20.50"
    with app.app_context(), tenant_scope(world["mid"]):
        row = db.session.execute(select(Distributor).where(
            Distributor.member_id == world["member"])).scalar_one()
        assert distribution.commission_ledger_sum(db.session, row.id) == row.commission_balance


def test_other_members_see_nothing_of_it(client, login_as, world):
    _approved(client, world, login_as)
    status = client.get("/api/v1/distribution", headers=world["other_auth"]).get_json()
    assert status["application"] is None
    response = client.get("/api/v1/distribution/ledger", headers=world["other_auth"])
    assert response.get_json()["rows"] == [] and response.get_json()["distributor"] is False
