"""抽奖游戏 H5 预览 at phone width in a real browser: the owner opens a 大转盘, spins it, and
the page shows the simulated outcome (the engine's pick with the current stock) while no
draw record is written and no stock moves; a 砸金蛋 breaks and shows 谢谢参与."""
import uuid
from datetime import timedelta
from decimal import Decimal

PHONE = {"width": 390, "height": 844}


def _setup(app, game_type, prizes):
    from app.extensions import db
    from app.models.base import china_now
    from app.models.merchant import Merchant
    from app.services import lottery_game as games
    from app.services import member as members
    from app.tenancy import platform_scope, tenant_scope

    with app.app_context():
        with platform_scope():
            mid = db.session.query(Merchant).filter_by(name="鲜果时光").one().id
        with tenant_scope(mid):
            now = china_now()
            game = games.save_game(db.session, dict(
                name="浏览器抽奖", game_type=game_type, starts_at=now - timedelta(days=1),
                ends_at=now + timedelta(days=1), per_day=0, total=0, points_cost=0,
                status="active", rules="测试规则"))
            for spec in prizes:
                games.save_prize(db.session, game, spec)
            phone = "133" + str(uuid.uuid4().int)[:8]
            members.create_member(db.session, nickname="浏览器会员", phone=phone)
            db.session.commit()
            game_id = game.id
        db.session.remove()
    return mid, game_id, phone


def _draws(app, mid, game_id):
    from app.extensions import db
    from app.models.lottery_game import LotteryGameDraw
    from app.tenancy import tenant_scope

    with app.app_context(), tenant_scope(mid):
        rows = db.session.query(LotteryGameDraw).filter_by(game_id=game_id).all()
        result = [(r.result, r.prize_name, r.code) for r in rows]
        db.session.remove()
    return result


def _login(page, live_server):
    page.goto(live_server("/login/"))
    page.get_by_label("手机号 / 账号").fill("13800000001")
    page.get_by_label("密码").fill(_owner_password(live_server))
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(lambda url: "/login" not in url)


def _owner_password(live_server):
    """The e2e server's demo owner: set a known password, no forced change."""
    from werkzeug.security import generate_password_hash

    from app.extensions import db
    from app.models.merchant import StaffUser
    from app.tenancy import platform_scope

    with live_server.app.app_context(), platform_scope():
        owner = db.session.query(StaffUser).filter_by(phone="13800000001").one()
        owner.password = generate_password_hash("Owner@2026e2e")
        owner.must_change_password = False
        db.session.commit()
        db.session.remove()
    return "Owner@2026e2e"


def _remaining(app, mid, game_id):
    from app.extensions import db
    from app.models.lottery_game import LotteryGamePrize
    from app.tenancy import tenant_scope

    with app.app_context(), tenant_scope(mid):
        result = [p.remaining for p in db.session.query(LotteryGamePrize).filter_by(
            game_id=game_id).order_by(LotteryGamePrize.id)]
        db.session.remove()
    return result


def test_wheel_preview_simulates_at_phone_width(live_server, page, screenshot):
    from playwright.sync_api import expect

    mid, game_id, _phone = _setup(live_server.app, "wheel", [
        dict(name="保温杯", kind="gift", probability="100", stock=1, amount=Decimal("59"))])
    page.set_viewport_size(PHONE)
    _login(page, live_server)
    page.goto(live_server(f"/lotterygameview/h5/{game_id}"))
    expect(page.locator("#md-h5")).to_have_attribute("data-ready", "1")
    expect(page.locator(".wheel-label").first).to_have_text("保温杯")
    expect(page.locator("#md-preview-note")).to_contain_text("预览模式")
    expect(page.locator("#md-preview-note")).to_contain_text("不发放任何奖品")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    screenshot("wheel")
    page.get_by_role("button", name="开始抽奖").click()
    expect(page.locator("#md-result")).to_contain_text("恭喜您获得：保温杯", timeout=15_000)
    expect(page.locator("#md-result")).to_contain_text("预览结果，未实际发放")
    # the wheel turned to the outcome
    angle = page.evaluate("getComputedStyle(document.getElementById('md-wheel')).transform")
    assert angle != "none"
    screenshot("won")
    # a simulation: no draw record, and the only prize is still in stock, so it wins again
    assert _draws(live_server.app, mid, game_id) == []
    assert _remaining(live_server.app, mid, game_id) == [1]
    page.get_by_role("button", name="开始抽奖").click()
    expect(page.locator("#md-result")).to_contain_text("抽奖中")
    expect(page.locator("#md-result")).to_contain_text("恭喜您获得：保温杯", timeout=15_000)
    assert _draws(live_server.app, mid, game_id) == []
    assert _remaining(live_server.app, mid, game_id) == [1]


def test_golden_egg_preview_breaks_and_shows_the_outcome(live_server, page, screenshot):
    from playwright.sync_api import expect

    mid, game_id, _phone = _setup(live_server.app, "golden_egg", [
        dict(name="谢谢参与", kind="thanks", probability="100")])
    page.set_viewport_size(PHONE)
    _login(page, live_server)
    page.goto(live_server(f"/lotterygameview/h5/{game_id}"))
    expect(page.locator("#md-h5")).to_have_attribute("data-ready", "1")
    page.get_by_role("button", name="金蛋 2").click()
    expect(page.locator("#md-result")).to_contain_text("谢谢参与")
    expect(page.locator(".egg.broken")).to_have_count(1)
    screenshot("egg")
    assert _draws(live_server.app, mid, game_id) == []
