"""One exception for everything WeChat refuses: a Chinese, merchant-readable message, the
fix in the guides' words, and the raw code for the log."""
from flask_babel import lazy_gettext as _l


class WeChatError(Exception):
    def __init__(self, message, code=None, fix=None, raw=None):
        super().__init__(str(message))
        self.message = message
        self.code = code
        self.fix = fix
        self.raw = raw

    def __str__(self):
        return str(self.message)


# Outcome kinds of a payment credential check (notes/wechat.md), with the guides' fixes.
PAY_OUTCOMES = {
    "ok": (_l("验证通过"), None),
    "sign_error": (_l("API 密钥错误（签名错误）"),
                   _l("请确认配置的商户平台 API 密钥是否有误；如无法确定，请在微信支付商户平台"
                      "【账户中心 - API 安全】重新设置 32 位密钥后重新填写。")),
    "appid_mismatch": (_l("appid 与 mch_id 不匹配"),
                       _l("请确认 appid 和 mch_id 是否匹配：进入 appid 所在的公众号（或小程序）后台"
                          "【微信支付】，核对所绑定的商户号。")),
    "unknown_account": (_l("商户号不存在"),
                        _l("请核对商户号（微信支付审核通过后发送到接收邮箱）与 AppID 是否填写正确。")),
    "cert_invalid": (_l("证书无效"),
                     _l("请到微信支付商户平台【账户中心 - API 安全 - API 证书】下载证书，"
                        "重新上传 apiclient_cert.p12，证书密码默认为商户号。")),
    "cert_expired": (_l("证书已过期"),
                     _l("商户号 API 证书有效期为一年，请登录微信支付商户平台【账户中心 - API 安全 - "
                        "API 证书】点击更换证书，下载后重新上传。")),
    "no_auth": (_l("商户无此接口权限"),
                _l("请在微信支付商户平台确认已开通对应产品权限。")),
    "system_error": (_l("微信支付系统繁忙"), _l("请稍后再试。")),
    "network": (_l("网络错误，无法连接微信支付"),
                _l("请稍后重试；如持续失败，请检查服务器网络。")),
    "balance": (_l("商户号余额不足"),
                _l("请登录微信支付商户平台（pay.weixin.qq.com）充值余额后再操作。")),
}

# WeChat Pay err_code values → outcome kind.
PAY_ERRCODES = {
    "SIGNERROR": "sign_error",
    "APPID_MCHID_NOT_MATCH": "appid_mismatch",
    "APPID_NOT_EXIST": "unknown_account",
    "MCHID_NOT_EXIST": "unknown_account",
    "NOAUTH": "no_auth",
    "SYSTEMERROR": "system_error",
    "NOTENOUGH": "balance",
    "CA_ERROR": "cert_invalid",
    "CERT_ERROR": "cert_invalid",
}


def pay_error(kind, code=None, raw=None):
    message, fix = PAY_OUTCOMES[kind]
    return WeChatError(message, code=code or kind, fix=fix, raw=raw)


# Official account / mini program errcodes the merchant can act on.
API_ERRCODES = {
    -1: _l("微信系统繁忙，请稍后再试"),
    40001: _l("AppSecret 错误或 access_token 无效"),
    40013: _l("AppID 无效"),
    40125: _l("AppSecret 无效"),
    40164: _l("服务器 IP 不在公众号的 IP 白名单中"),
    41001: _l("缺少 access_token"),
    42001: _l("access_token 已过期"),
    40016: _l("菜单按钮个数不合法"),
    40018: _l("菜单按钮名称长度超过限制"),
    40054: _l("菜单链接地址不合法"),
    48001: _l("公众号未获得该接口权限（需认证服务号）"),
    61007: _l("该接口未授权给第三方平台"),
    # 公众号设置: custom menu, template messages, member card
    40005: _l("不支持的文件类型"),
    40009: _l("图片大小超过限制（不超过 1 MB）"),
    40017: _l("菜单按钮类型不合法"),
    40019: _l("菜单按钮 KEY 长度超过限制"),
    40023: _l("子菜单按钮个数不合法"),
    40025: _l("子菜单按钮名称长度超过限制"),
    40027: _l("子菜单按钮链接长度超过限制"),
    40037: _l("模板 ID 不正确，请核对公众平台“我的模板”中的模板 ID"),
    40073: _l("卡券 ID 不合法"),
    40079: _l("卡券图片地址不合法，请重新上传图片"),
    40097: _l("卡券参数错误"),
    40165: _l("小程序页面路径不合法"),
    43004: _l("用户未关注公众号或已取消关注，无法接收模板消息"),
    45009: _l("接口调用次数已达今日上限"),
    46003: _l("公众号没有自定义菜单"),
    47001: _l("数据格式错误"),
    40029: _l("网页授权 code 无效，请从公众号菜单重新进入"),
    40163: _l("网页授权 code 已被使用，请从公众号菜单重新进入"),
}

# 小程序设置管理: the component, fast registration, name/avatar/intro, nearby POIs, datacube.
API_ERRCODES.update({
    61004: _l("服务器 IP 不在开放平台第三方平台的白名单中"),
    61005: _l("component_verify_ticket 已过期，请等待微信重新推送"),
    61006: _l("component_verify_ticket 无效，请等待微信重新推送"),
    61010: _l("授权码已过期或已使用，请重新授权"),
    61023: _l("授权已失效，请重新绑定小程序"),
    86004: _l("法人微信号无效"),
    61070: _l("法人姓名与法人微信号不一致"),
    89247: _l("微信内部错误，请稍后再试"),
    89248: _l("企业代码类型无效，请核对企业代码"),
    89249: _l("该主体已有注册任务在执行中，24 小时后才能再次提交"),
    89250: _l("未找到该注册任务"),
    89251: _l("等待法人人脸核身校验"),
    89252: _l("法人与企业信息一致性校验中"),
    89253: _l("缺少必填参数"),
    89254: _l("第三方平台权限集不全"),
    53010: _l("名称格式不合法"),
    53011: _l("名称检测命中频率限制，请稍后再试"),
    53012: _l("禁止使用该名称"),
    53013: _l("该名称与已有小程序名称重复"),
    53200: _l("本月功能介绍修改次数已用完"),
    53201: _l("功能介绍内容命中黑名单关键字"),
    53202: _l("本月头像修改次数已用完"),
    40007: _l("无效的媒体文件（media_id）"),
    40009: _l("图片尺寸或大小不符合要求"),
    92000: _l("该经营资质已添加，请勿重复添加"),
    92002: _l("附近地点添加数量已达上限"),
    92003: _l("地点已被其他小程序占用"),
    92004: _l("附近功能已被封禁"),
    92005: _l("地点正在审核中"),
    92006: _l("地点正在展示小程序"),
    92007: _l("地点审核失败"),
    92008: _l("小程序未展示在该地点"),
    93009: _l("小程序未上架或不可见"),
    93010: _l("地点不存在"),
    93011: _l("个人类型小程序不可使用附近的小程序"),
    93014: _l("同一资质证件号重复添加"),
    61500: _l("统计日期格式错误"),
    61501: _l("统计日期范围错误"),
})


def api_error(errcode, errmsg=None):
    try:
        code = int(errcode)
    except (TypeError, ValueError):
        code = errcode
    message = API_ERRCODES.get(code)
    if message is None:
        message = _l("微信返回错误（%(code)s）：%(msg)s", code=code, msg=errmsg or "")
    return WeChatError(message, code=code, raw=errmsg)


NETWORK_ERROR = _l("网络错误，无法连接微信服务器，请稍后重试")
