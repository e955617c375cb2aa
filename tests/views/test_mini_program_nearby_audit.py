"""附近小程序 地点审核 results pushed by WeChat to the component's 消息与事件接收 URL
(add_nearby_poi_audit_info): signature-checked and decrypted like every component push,
then the matching address's status changes; a tampered push changes nothing."""
from app.models.mini_program import NearbyPoi
from tests.conftest import merchant_id
from tests.fakes.mini_program import authorizer_push, nearby_poi_audit_xml
from tests.views.mini_program_fixtures import (COMPONENT, COMPONENT_AES,  # noqa: F401
                                               COMPONENT_TOKEN, MINI, bound, component, rows)
from tests.views.test_mini_program_settings import _add, _mine

EVENTS_URL = f"/wechat/component/{MINI}/events"


def _push(client, inner_xml, url=EVENTS_URL, token=COMPONENT_TOKEN, aes=COMPONENT_AES):
    args, body = authorizer_push(inner_xml, token, aes, COMPONENT)
    return client.post(url, query_string=args, data=body, content_type="text/xml")


def _states(app):
    return {p.poi_id: (p.audit_status, p.refuse_reason) for p in _mine(app)}


def _two_pois(app, bound):
    for credential in ("310115000123456", "12345678-9"):
        assert _add(bound, related_credential=credential).status_code == 302
    first, second = sorted(_states(app))
    return first, second


def test_audit_results_update_the_addresses(app, client, wechat, bound):
    first, second = _two_pois(app, bound)
    response = _push(client, nearby_poi_audit_xml(wechat, MINI, first, passed=True))
    assert response.status_code == 200 and response.get_data(as_text=True) == "success"
    response = _push(client, nearby_poi_audit_xml(wechat, MINI, second, passed=False,
                                                  reason="证明材料不清晰"))
    assert response.status_code == 200
    assert _states(app) == {first: ("passed", None), second: ("rejected", "证明材料不清晰")}
    listing = bound.get("/nearbypoi/list/").get_data(as_text=True)
    assert "审核通过" in listing and "证明材料不清晰" in listing
    # 同步审核状态 afterwards reads the same from WeChat: the push and the list agree.
    bound.post("/nearbypoi/sync", data={"csrf_token": bound.csrf("/nearbypoi/list/")})
    assert _states(app) == {first: ("passed", None), second: ("rejected", "证明材料不清晰")}


def test_tampered_or_foreign_pushes_change_nothing(app, client, wechat, bound):
    first, _second = _two_pois(app, bound)
    before = _states(app)
    event = nearby_poi_audit_xml(wechat, MINI, first, passed=False, reason="伪造")
    # Signed with another token, encrypted with another key, or altered in transit.
    assert _push(client, event, token="NotTheToken2026").status_code == 403
    assert _push(client, event, aes="OtherAesKey" + "z" * 32).status_code == 403
    args, body = authorizer_push(event, COMPONENT_TOKEN, COMPONENT_AES, COMPONENT)
    tampered = body.replace("<Encrypt><![CDATA[", "<Encrypt><![CDATA[A")
    assert client.post(EVENTS_URL, query_string=args, data=tampered,
                       content_type="text/xml").status_code == 403
    args["msg_signature"] = "0" * 40
    assert client.post(EVENTS_URL, query_string=args, data=body,
                       content_type="text/xml").status_code == 403
    assert client.post(EVENTS_URL, data="<xml>" + "x" * 70000 + "</xml>",
                       content_type="text/xml").status_code == 403
    assert _states(app) == before


def test_unknown_addresses_statuses_or_mini_programs_change_nothing(app, client, wechat, bound):
    first, _second = _two_pois(app, bound)
    before = _states(app)
    # A genuine push for a mini program no merchant has bound.
    other = "wx7b7b7b7b7b7b7b7b"
    event = nearby_poi_audit_xml(wechat, MINI, first, passed=True)
    assert _push(client, event, url=f"/wechat/component/{other}/events").status_code == 200
    # A status the docs do not define, and a poi_id nobody stored.
    assert _push(client, nearby_poi_audit_xml(wechat, MINI, first, passed=True,
                                              status=9)).status_code == 200
    unknown = event.replace(f"<poi_id>{first}</poi_id>", "<poi_id>99999999</poi_id>")
    unknown = unknown.replace("<audit_id>", "<audit_id>0")
    assert _push(client, unknown).status_code == 200
    assert _states(app) == before


def test_another_merchants_address_is_never_reached(app, client, wechat, bound):
    """A genuine push through this mini program's URL naming another merchant's poi_id
    (or audit_id) changes nothing there: the lookup stays in the bound merchant."""
    first, _second = _two_pois(app, bound)
    theirs = rows(app, NearbyPoi, merchant_id=merchant_id(app, "茶语小铺"))
    assert theirs, "the demo data gives the other merchant addresses"
    before = {p.id: (p.audit_status, p.refuse_reason) for p in theirs}
    event = nearby_poi_audit_xml(wechat, MINI, first, passed=False, reason="跨商户")
    for victim in theirs:
        forged = event.replace(f"<poi_id>{first}</poi_id>", f"<poi_id>{victim.poi_id}</poi_id>")
        assert _push(client, forged).status_code == 200
    after = {p.id: (p.audit_status, p.refuse_reason)
             for p in rows(app, NearbyPoi, merchant_id=merchant_id(app, "茶语小铺"))}
    assert after == before


def test_without_platform_component_the_url_is_not_found(app, client):
    assert client.post(EVENTS_URL, data="<xml/>", content_type="text/xml").status_code == 404


def test_a_push_without_poi_id_is_matched_by_audit_id(app, client, wechat, bound):
    first, _second = _two_pois(app, bound)
    event = nearby_poi_audit_xml(wechat, MINI, first, passed=True)
    event = event.replace(f"<poi_id>{first}</poi_id>", "<poi_id></poi_id>")
    assert _push(client, event).status_code == 200
    assert _states(app)[first] == ("passed", None)
