"""The component's 授权事件接收 URL: WeChat pushes component_verify_ticket every 10 minutes,
the result of a 快速注册 (notify_third_fasteregister) and authorization changes here. Its
消息与事件接收 URL gets the authorized mini programs' events (附近小程序 地点审核 results).

Public and CSRF-exempt: each push proves itself by its signature and its msg_signature,
and must decrypt for the platform's component AppID (wechatpy's WeChatCrypto). A rejected
push is logged and changes nothing.
"""
import logging

from flask import Blueprint, Response, abort, request

from app.extensions import csrf, db
from app.services import mini_program as service
from app.services import wechat as wechat_service
from app.services.errors import BusinessError
from app.tenancy import tenant_scope
from app.wechat import component as wx_component
from app.wechat.errors import WeChatError

log = logging.getLogger(__name__)

bp = Blueprint("wechat_component", __name__, url_prefix="/wechat/component")

# notify_third_fasteregister status codes (open platform docs), in the merchant's words.
REGISTRATION_RESULTS = {
    100001: "法人未在 24 小时内确认，身份证校验未完成",
    100002: "法人未在 24 小时内确认，人脸识别校验未完成",
    100003: "法人未在 24 小时内确认",
    101: "工商数据返回：企业已注销",
    102: "工商数据返回：企业不存在或企业信息未更新",
    103: "工商数据返回：企业法定代表人姓名不一致",
    104: "工商数据返回：企业法定代表人身份证号码不一致",
    105: "法定代表人身份证号码工商数据未更新，请 5-15 个工作日之后再试",
    1000: "工商数据返回：企业信息或法定代表人信息不一致",
    1001: "该主体创建小程序数量已达上限",
    1002: "该主体违规，命中黑名单",
    1003: "管理员绑定账号数量已达上限",
    1004: "管理员违规，命中黑名单",
    1005: "管理员手机绑定账号数量已达上限",
    1006: "管理员手机号违规，命中黑名单",
    1007: "管理员身份证创建账号数量已达上限",
    1008: "管理员身份证违规，命中黑名单",
}


def _success():
    return Response("success", mimetype="text/plain")


@bp.route("/auth", methods=["POST"])
def auth_event():
    """授权事件接收 URL."""
    try:
        account = wx_component.account_of(wechat_service.platform_config(db.session))
    except WeChatError:
        abort(404)
    component = wx_component.new_component(account)
    try:
        message = wx_component.read_push(component, request.args,
                                         request.get_data(cache=False))
    except wx_component.PushRejected as exc:
        log.warning("component push rejected from %s: %s", request.remote_addr, exc)
        return Response("", status=403)
    kind = message.get("InfoType")
    if kind == "component_verify_ticket":
        wx_component.cache_ticket(component, message.get("ComponentVerifyTicket") or "")
        log.info("component_verify_ticket received for %s", account.appid)
    elif kind == "notify_third_fasteregister":
        _registration_result(component, message)
    elif kind == "unauthorized":
        for config in service.configs_by_appid(db.session, message.get("AuthorizerAppid")):
            with tenant_scope(config.merchant_id):
                service.revoke_authorization(config)
                db.session.commit()
            log.info("mini program %s unauthorized (merchant %s)",
                     config.appid, config.merchant_id)
    else:
        log.info("component push %s ignored", kind)
    return _success()


@bp.route("/<appid>/events", methods=["POST"])
def authorizer_event(appid):
    """消息与事件接收 URL (set as /wechat/component/$APPID$/events on the open platform):
    messages and events of the authorized mini programs, encrypted for the component and
    checked like the 授权事件 pushes. Handles 附近小程序 地点审核 results; others are
    acknowledged and ignored."""
    try:
        account = wx_component.account_of(wechat_service.platform_config(db.session))
    except WeChatError:
        abort(404)
    component = wx_component.new_component(account)
    try:
        message = wx_component.read_push(component, request.args,
                                         request.get_data(cache=False), kind_field="MsgType")
    except wx_component.PushRejected as exc:
        log.warning("authorizer push for %s rejected from %s: %s", appid[:32],
                    request.remote_addr, exc)
        return Response("", status=403)
    event = (message.get("Event") or "").strip()
    if message.get("MsgType") == "event" and event == "add_nearby_poi_audit_info":
        _nearby_poi_audit(appid, message)
    else:
        log.info("authorizer push %s/%s for %s ignored", message.get("MsgType"), event,
                 appid[:32])
    return _success()


def _nearby_poi_audit(appid, message):
    configs = service.configs_by_appid(db.session, appid)
    for config in configs:
        with tenant_scope(config.merchant_id):
            row = service.apply_poi_audit_event(
                db.session, config.merchant_id, poi_id=message.get("poi_id"),
                audit_id=message.get("audit_id"), status=message.get("status"),
                reason=message.get("reason"))
            db.session.commit()
        log.info("nearby poi audit %s for merchant %s: %s", message.get("poi_id"),
                 config.merchant_id, row.audit_status if row is not None else "no match")
    if not configs:
        log.warning("nearby poi audit for an unbound mini program %s", appid[:32])


def _registration_result(component, message):
    info = message.get("info") or {}
    registration = service.registration_by_persona(
        db.session, name=info.get("name"),
        legal_persona_wechat=info.get("legal_persona_wechat"),
        legal_persona_name=info.get("legal_persona_name"))
    if registration is None:
        log.warning("fast registration result for an unknown request: %s", info.get("name"))
        return
    try:
        status = int(message.get("status"))
    except (TypeError, ValueError):
        status = -1
    with tenant_scope(registration.merchant_id):
        registration = db.session.merge(registration)
        if status != 0:
            service.record_registration_result(
                registration, success=False,
                message=REGISTRATION_RESULTS.get(status) or message.get("msg") or str(status))
            db.session.commit()
            return
        appid = message.get("appid")
        try:
            auth = wx_component.query_auth(component, message.get("auth_code"))
            service.bind_authorizer(db.session, registration.merchant_id, appid=auth["appid"],
                                    refresh_token=auth["refresh_token"])
            service.record_registration_result(registration, success=True,
                                               message="注册成功，已自动绑定", appid=appid)
        except (WeChatError, BusinessError) as exc:
            db.session.rollback()
            registration = db.session.merge(registration)
            service.record_registration_result(
                registration, success=True, appid=appid,
                message=f"注册成功，但自动绑定失败：{exc}，请在“绑定已有小程序”中授权")
        db.session.commit()


def init_app(app):
    csrf.exempt(bp)
    app.register_blueprint(bp)
