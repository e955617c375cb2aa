"""The security crawler's world: logged-in clients of the demo accounts, rows of both demo
merchants for every model a view shows, the strings that identify each merchant's data,
and snapshots of a merchant's rows (to prove refused writes wrote nothing).

Everything here is generic over ``app.appbuilder.baseviews`` and the SQLAlchemy metadata:
a new model or view is picked up without changes. Only SQLAlchemy Core and ORM calls that
run on SQLite, PostgreSQL and MariaDB are used.
"""
import os
import uuid
from contextlib import contextmanager
from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import (Boolean, Date, DateTime, Integer, Numeric, String, Text, select,
                        inspect as sa_inspect)

from tests.conftest import ACCOUNTS, login

MERCHANTS = {"a": "鲜果时光", "b": "茶语小铺"}
# Columns that change when someone merely logs in or is looked at.
VOLATILE_COLUMNS = {"last_login", "login_count", "fail_login_count", "changed_on"}
# Strings shorter than this are too common to prove a leak (codes, "是", "正常").
MIN_SECRET_LENGTH = 3
# A short number is also any page's count, id or price: after the order-list tests had
# run, B's "104" turned up on A's refusal pages. Digits count from six (codes, phones).
MIN_SECRET_DIGITS = 6


class World:
    """What the crawler knows about the database: ids, files, secrets, permissions."""

    def __init__(self, app):
        self.app = app
        self.merchant = {}   # "a"/"b" -> merchant id
        self.owner = {}      # "a"/"b" -> owner user id
        self.user_ids = {}   # account -> user id
        self.perms = {}      # account -> {(permission, view menu)} through the user's roles
        self.own_strings = {}  # account -> strings the account's own pages always show
        self.files = {}      # "a"/"b" -> an uploaded file name referenced by that merchant
        self.planted = []    # (model, pk) rows created here, deleted at teardown
        self.paths = []      # files created here
        self._pks = {}
        self._clients = {}
        self._secrets = {}

    # -- clients ----------------------------------------------------------------------
    def client(self, who):
        """A test client logged in as a demo account (one per account and module)."""
        if who not in self._clients:
            client = self.app.test_client()
            response = login(client, *ACCOUNTS[who])
            assert response.status_code == 302, f"login as {who} failed"
            self._clients[who] = client
        return self._clients[who]

    # -- permissions ------------------------------------------------------------------
    def holds(self, who, permission, view_name):
        return (permission, view_name) in self.perms[who]

    # -- pks --------------------------------------------------------------------------
    def pk(self, view, key):
        """A pk of ``view``'s model owned by merchant ``key`` (see ``_pick_pk``)."""
        name = type(view).__name__
        if (name, key) not in self._pks:
            self._pks[(name, key)] = _pick_pk(self, view, key)
        return self._pks[(name, key)]

    def model_pk(self, model, key):
        """A pk of any model (a relation's target) owned by merchant ``key``."""
        if (model, key) not in self._pks:
            self._pks[(model, key)] = _platform_pk(self, model, key)
        return self._pks[(model, key)]

    # -- secrets ----------------------------------------------------------------------
    def secrets(self, key):
        """Strings found only in merchant ``key``'s rows: seeing one proves a leak."""
        if key not in self._secrets:
            self._secrets[key] = _distinct_strings(self.app, self.merchant[key])
        return self._secrets[key]

    def secrets_hidden_from(self, key, who):
        """Merchant ``key``'s secrets minus what ``who``'s own pages legitimately show."""
        return self.secrets(key) - self.own_strings.get(who, set())

    @contextmanager
    def granted(self, who, pairs):
        """Temporarily give ``who`` the (permission, view menu) ``pairs`` through a role of
        its own, adding a ``can_*`` permission to the view's ``base_permissions`` when the
        view does not offer it (TaskView edit, ShopView download...). The tenant layer is
        then crawled on its own, not hidden behind the permission layer's 403."""
        from app.extensions import db
        from app.models.merchant import StaffUser
        from app.tenancy import platform_scope

        app = self.app
        sm = app.appbuilder.sm
        views = {v.class_permission_name: v for v in app.appbuilder.baseviews}
        added_base = []
        for permission, view_name in pairs:
            view = views.get(view_name)
            if view is not None and permission.startswith("can_") and \
                    permission not in view.base_permissions:
                view.base_permissions.append(permission)
                added_base.append((view, permission))
        created, role_name = [], f"crawler-grant-{uuid.uuid4().hex[:8]}"
        with app.app_context(), platform_scope():
            for permission, view_name in sorted(pairs):
                if sm.find_permission_view_menu(permission, view_name) is None:
                    created.append((permission, view_name))
            role = sm.add_role(role_name)
            role.permissions = [sm.add_permission_view_menu(p, v) for p, v in sorted(pairs)]
            user = db.session.get(StaffUser, self.user_ids[who])
            user.roles.append(role)
            db.session.commit()
        saved = self.perms[who]
        self.perms[who] = saved | set(pairs)
        try:
            yield
        finally:
            self.perms[who] = saved
            for view, permission in added_base:
                view.base_permissions.remove(permission)
            with app.app_context(), platform_scope():
                role = sm.find_role(role_name)
                user = db.session.get(StaffUser, self.user_ids[who])
                user.roles.remove(role)
                role.permissions = []
                db.session.delete(role)
                db.session.commit()
                for permission, view_name in created:
                    sm.del_permission_view_menu(permission, view_name, cascade=True)

    # -- snapshots --------------------------------------------------------------------
    def snapshot(self, key):
        return snapshot_tenant(self.app, self.merchant[key])


# -- tenant rows and strings ------------------------------------------------------------
def _tables():
    from app.extensions import db

    return list(db.metadata.sorted_tables)


def _owned_rows(conn_execute, merchant_id):
    """{table name: [row mapping]} of every row that belongs to the merchant:

    * rows of tables with a ``merchant_id`` column, and the merchant row itself;
    * rows of tables without one that those rows point to (``merchant_role.role_id`` ->
      ``ab_role``), unless the table has its own tenant column;
    * association rows that point at any of the above (``ab_user_role``,
      ``ab_permission_view_role``).
    """
    tables = _tables()
    owned = {}
    ids = {}
    for table in tables:
        if "merchant_id" in table.c:
            rows = conn_execute(select(table).where(table.c.merchant_id == merchant_id))
        elif table.name == "merchant":
            rows = conn_execute(select(table).where(table.c.id == merchant_id))
        else:
            continue
        owned[table.name] = rows
        pk = list(table.primary_key.columns)
        if len(pk) == 1:
            ids[table.name] = {r[pk[0].name] for r in rows}
    # Tables without a tenant column that owned rows point to (roles of merchant roles).
    pointed = {}
    for name, rows in list(owned.items()):
        table = next(t for t in tables if t.name == name)
        for column in table.c:
            for fk in column.foreign_keys:
                target = fk.column.table
                if "merchant_id" in target.c or target.name == "merchant":
                    continue
                pointed.setdefault((target, fk.column.name), set()).update(
                    r[column.name] for r in rows if r[column.name] is not None)
    for (target, column_name), values in pointed.items():
        if values:
            rows = conn_execute(select(target).where(target.c[column_name].in_(values)))
            owned.setdefault(target.name, []).extend(rows)
            ids.setdefault(target.name, set()).update(r[column_name] for r in rows)
    # Association tables: rows pointing at an owned row.
    for table in tables:
        if table.name in owned:
            continue
        conditions = []
        for column in table.c:
            for fk in column.foreign_keys:
                values = ids.get(fk.column.table.name)
                if values:
                    conditions.append(column.in_(values))
        if conditions:
            from sqlalchemy import or_

            owned[table.name] = conn_execute(select(table).where(or_(*conditions)))
    return owned


def _execute_rows(statement):
    from app.extensions import db

    return [dict(r._mapping) for r in db.session.execute(statement)]


def _row_key(row, skip=()):
    """A hashable, comparable form of a row (repr: bytes, Decimal, datetimes alike)."""
    return tuple(sorted((k, repr(v)) for k, v in row.items() if k not in skip))


def snapshot_tenant(app, merchant_id):
    """Every row the merchant owns, as comparable, sorted tuples per table."""
    from app.extensions import db
    from app.tenancy import platform_scope

    with app.app_context(), platform_scope():
        try:
            owned = _owned_rows(_execute_rows, merchant_id)
        finally:
            db.session.rollback()
    result = {}
    for name, rows in owned.items():
        result[name] = sorted(_row_key(row, VOLATILE_COLUMNS) for row in rows)
    return result


def _strings_of(rows, skip=()):
    found = set()
    for row in rows:
        for key, value in row.items():
            if isinstance(value, str) and key not in skip:
                value = value.strip()
                if len(value) >= (MIN_SECRET_DIGITS if value.isdigit() else
                                  MIN_SECRET_LENGTH):
                    found.add(value)
    return found


def _distinct_strings(app, merchant_id):
    """String values of the merchant's rows that no other row in the database holds."""
    from app.extensions import db
    from app.tenancy import platform_scope

    with app.app_context(), platform_scope():
        try:
            owned = _owned_rows(_execute_rows, merchant_id)
            mine, others = set(), set()
            owned_keys = {name: {_row_key(r) for r in rows} for name, rows in owned.items()}
            for table in _tables():
                # Choice codes (wx_mall, diy_mini) are the form's options, not data.
                codes = {c.name for c in table.c if c.info.get("choices")}
                for row in _execute_rows(select(table)):
                    if _row_key(row) in owned_keys.get(table.name, ()):
                        mine |= _strings_of([row], codes)
                    else:
                        others |= _strings_of([row], codes)
        finally:
            db.session.rollback()
    # Password hashes never show up verbatim anyway.
    return {s for s in mine - others if not s.startswith(("scrypt:", "pbkdf2:"))}


# -- picking pks ------------------------------------------------------------------------
def _pick_pk(world, view, key):
    """A row of merchant ``key`` that this view shows: for tenant views, read through the
    view itself as that merchant's owner (so base filters such as "own tasks only" or
    "no owner accounts" apply); for other views, a row linked to the merchant."""
    from flask import g
    from flask_login import login_user

    from app.admin.views import TenantModelView
    from app.extensions import db
    from app.models.merchant import StaffUser

    model = getattr(getattr(view, "datamodel", None), "obj", None)
    if model is None:
        return None
    if isinstance(view, TenantModelView):
        with world.app.test_request_context("/"):
            user = db.session.get(StaffUser, world.owner[key])
            login_user(user)
            g.user = user
            try:
                prefer = PREFERRED_ROWS.get(model.__name__)
                _count, items = view.datamodel.query(view._base_filters, page=0,
                                                     page_size=50 if prefer else 1)
                items = [i for i in items if prefer(i)] + items if prefer else items
                pk = view.datamodel.get_pk_value(items[0]) if items else None
            finally:
                db.session.rollback()
        if pk is None:
            pk = _make_row_or_fail(world, model, key, view)
        return pk
    return _platform_pk(world, model, key)


def _make_row_or_fail(world, model, key, view=None):
    try:
        return _make_row(world, model, key)
    except CannotPlant as exc:
        shown = f"{type(view).__name__} shows no row" if view is not None else "no row"
        pytest.fail(f"merchant {key.upper()} has {shown} of {model.__name__} and the crawler "
                    f"cannot invent one ({exc}): plant one in tests/security/conftest.py "
                    "_plant()")


# Models whose pages serve only some rows (a 复用券 has no claim link): the crawler's
# own-row probes take a row that every page serves, whatever the id order.
PREFERRED_ROWS = {"CouponBatch": lambda row: row.kind == "normal"}


def _platform_pk(world, model, key):
    from app.extensions import db
    from app.models.merchant import Merchant
    from app.tenancy import TenantScoped, platform_scope

    merchant_id = world.merchant[key]
    pk_col = sa_inspect(model).primary_key[0]
    with world.app.app_context(), platform_scope():
        try:
            if model is Merchant:
                return merchant_id
            if hasattr(model, "merchant_id"):
                query = select(pk_col).where(model.merchant_id == merchant_id)
                if hasattr(model, "is_owner"):  # staff rather than the owner account
                    query = query.order_by(model.is_owner)
                found = db.session.execute(query.order_by(pk_col).limit(1)).scalar()
                if found is None and issubclass(model, TenantScoped):
                    found = _make_row_or_fail(world, model, key)
                return found
            # A row a tenant table points to (ab_role <- merchant_role.role_id).
            for mapper in db.Model.registry.mappers:
                other = mapper.class_
                if not issubclass(other, TenantScoped):
                    continue
                for column in other.__table__.c:
                    if any(fk.column.table is model.__table__ for fk in column.foreign_keys):
                        found = db.session.execute(
                            select(column).where(other.merchant_id == merchant_id)
                            .order_by(column).limit(1)).scalar()
                        if found is not None:
                            return found
            # Shared rows (permissions, view menus): any row will do.
            return db.session.execute(select(pk_col).order_by(pk_col).limit(1)).scalar()
        finally:
            db.session.rollback()


class CannotPlant(Exception):
    """The row factory cannot invent a row of this model: plant one in ``_plant``."""


def _make_row(world, model, key):
    """A minimal row of a tenant model for merchant ``key``, so a new view gets crawled
    without anyone writing fixtures for it. Raises CannotPlant when a required column
    needs more than a placeholder (a reference to a shared table, an unknown type)."""
    from app.extensions import db
    from app.models.base import china_now
    from app.tenancy import platform_scope

    merchant_id = world.merchant[key]
    tag = f"爬虫{key.upper()}{uuid.uuid4().hex[:6]}"
    with world.app.app_context(), platform_scope():
        item = model()
        mapper = sa_inspect(model)
        for attr in mapper.column_attrs:
            column = attr.columns[0]
            if column.primary_key or column.nullable or column.default is not None or \
                    column.server_default is not None or column.name == "merchant_id":
                continue
            if column.foreign_keys:
                target = next(iter(column.foreign_keys)).column.table
                target_pk = next(iter(target.primary_key.columns))
                if target.name == "ab_user":
                    value = world.owner[key]
                elif "merchant_id" in target.c:
                    value = db.session.execute(select(target_pk).where(
                        target.c.merchant_id == merchant_id).limit(1)).scalar()
                else:
                    value = None
                if value is None:
                    raise CannotPlant(f"{model.__name__}.{attr.key} references {target.name}")
            elif isinstance(column.type, (String, Text)):
                value = tag[:getattr(column.type, "length", None) or 50]
            elif isinstance(column.type, Boolean):
                value = False
            elif isinstance(column.type, Numeric):
                value = Decimal(0)
            elif isinstance(column.type, Integer):
                value = 0
            elif isinstance(column.type, DateTime):
                value = china_now()
            elif isinstance(column.type, Date):
                value = date.today()
            else:
                raise CannotPlant(f"{model.__name__}.{attr.key} has type {column.type}")
            setattr(item, attr.key, value)
        item.merchant_id = merchant_id
        db.session.add(item)
        try:
            db.session.commit()
        except Exception as exc:
            db.session.rollback()
            raise CannotPlant(f"{model.__name__}: {exc}") from exc
        pk = mapper.primary_key_from_instance(item)[0]
    world.planted.append((model, pk))
    return pk


# -- planted rows -------------------------------------------------------------------------
def _plant(world):
    """Rows every merchant-facing view can show, for both merchants, with distinctive
    names: a shop with an uploaded logo, a finished export task with its file, an audit
    entry and a role with a label of its own (the demo roles share labels)."""
    from app.admin import permissions as perms
    from app.extensions import db
    from app.models.audit import AuditLog
    from app.models.merchant import MerchantRole
    from app.models.shop import Shop
    from app.models.task import Task
    from app.tenancy import platform_scope

    app = world.app
    sm = app.appbuilder.sm
    with app.app_context(), platform_scope():
        shop_view = next(v for v in app.appbuilder.baseviews if type(v).__name__ == "ShopView")
        for key, name in MERCHANTS.items():
            merchant_id = world.merchant[key]
            tag = uuid.uuid4().hex[:8]
            filename = f"crawler_{key}_{tag}.png"
            path = os.path.join(app.config["UPLOAD_FOLDER"], filename)
            with open(path, "wb") as fh:
                fh.write(f"CRAWLER-FILE-{key}-{tag}".encode())
            world.paths.append(path)
            world.files[key] = filename
            result = os.path.join(app.config["TASK_RESULT_FOLDER"], f"crawler_{key}_{tag}.xlsx")
            with open(result, "wb") as fh:
                fh.write(f"CRAWLER-RESULT-{key}-{tag}".encode())
            world.paths.append(result)
            shop = Shop(merchant_id=merchant_id, name=f"{name}爬虫店{tag[:4]}", logo=filename)
            task = Task(merchant_id=merchant_id, user_id=world.owner[key], kind="export",
                        title=f"{name}爬虫任务{tag[:4]}", status="done", progress=100,
                        result_path=result, result_name=f"{name}爬虫结果{tag[:4]}.xlsx")
            db.session.add_all([shop, task])
            db.session.flush()
            log = AuditLog(merchant_id=merchant_id, user_id=world.owner[key],
                           user_name=f"{name}爬虫操作员", ip="10.9.8.7", entity="Shop",
                           entity_id=str(shop.id), action=f"爬虫测试{tag[:4]}", changes="{}")
            label = f"{name}爬虫角色{tag[:4]}"
            role = sm.add_role(f"m{merchant_id}:{label}")
            perms.set_role_permissions(sm, role, {("can_list", shop_view.class_permission_name)})
            merchant_role = MerchantRole(merchant_id=merchant_id, role=role, label=label,
                                         description=f"{name}爬虫角色说明")
            db.session.add_all([log, merchant_role])
            db.session.commit()
            world.planted += [(AuditLog, log.id), (Task, task.id), (Shop, shop.id),
                              (MerchantRole, merchant_role.id)]
            world.planted += _plant_payment(db.session, merchant_id, name, tag)
            world.planted += _plant_media(world, db.session, merchant_id)
            world.planted += _plant_face(db.session, merchant_id, shop, filename, name, tag)
            world.planted += _plant_lottery_game(db.session, merchant_id, name, tag)
            world.planted += _plant_red_packet(db.session, merchant_id, name, tag, filename)


def _plant_lottery_game(session, merchant_id, name, tag):
    """抽奖游戏: an activity, a physical-gift prize and a won draw with its 核销 code (the
    row factory cannot invent a draw: it needs an activity, a prize and a member)."""
    from datetime import datetime

    from app.models.lottery_game import LotteryGame, LotteryGameDraw, LotteryGamePrize
    from app.models.member import Member

    member = session.execute(select(Member).where(Member.merchant_id == merchant_id)
                             .order_by(Member.id).limit(1)).scalar()
    game = LotteryGame(merchant_id=merchant_id, name=f"{name[:4]}爬虫转盘{tag[:4]}",
                       game_type="wheel", starts_at=datetime(2026, 1, 1),
                       ends_at=datetime(2030, 1, 1), per_day=0, total=0, points_cost=0,
                       status="active")
    session.add(game)
    session.flush()
    prize = LotteryGamePrize(merchant_id=merchant_id, game_id=game.id,
                             name=f"{name[:4]}爬虫奖品{tag[:4]}", kind="gift",
                             probability=Decimal("10"), stock=5, remaining=4,
                             amount=Decimal("9.90"))
    session.add(prize)
    session.flush()
    draw = LotteryGameDraw(merchant_id=merchant_id, draw_no=uuid.uuid4().hex,
                           game_id=game.id, game_type="wheel", member_id=member.id,
                           member_nickname=member.nickname, member_phone=member.phone,
                           result="won", prize_id=prize.id, drawn_prize_id=prize.id,
                           prize_kind="gift", prize_name=prize.name, points_cost=0,
                           points_awarded=0, amount=Decimal("9.90"),
                           code=("CRAWL" + tag[:7]).upper())
    session.add(draw)
    session.commit()
    return [(LotteryGame, game.id), (LotteryGamePrize, prize.id), (LotteryGameDraw, draw.id)]


def _plant_red_packet(session, merchant_id, name, tag, filename):
    """微红包: a pool with its ledger row, a recharge, an activity with a tier, a won draw
    with its payout and budget ledger row (the row factory cannot invent a draw: it needs
    an activity, a member and a payout). The planted upload is the settings' follow QR and
    the activity's logo, so the image routes have a file of their own merchant to serve."""
    from datetime import datetime

    from app.models.member import Member
    from app.models.red_packet import (RedPacketActivity, RedPacketBudgetLedger,
                                       RedPacketDraw, RedPacketPayout, RedPacketPool,
                                       RedPacketPoolLedger, RedPacketRecharge,
                                       RedPacketSetting, RedPacketTier)

    member = session.execute(select(Member).where(Member.merchant_id == merchant_id)
                             .order_by(Member.id).limit(1)).scalar()
    rows = []
    pool = session.execute(select(RedPacketPool).where(
        RedPacketPool.merchant_id == merchant_id)).scalar()
    if pool is None:
        pool = RedPacketPool(merchant_id=merchant_id, balance=Decimal("12.00"),
                             total_recharged=Decimal("12.00"))
        session.add(pool)
        session.flush()
        rows.append((RedPacketPool, pool.id))
    ledger = RedPacketPoolLedger(merchant_id=merchant_id, kind="offline",
                                 delta=Decimal("12.00"), balance_after=Decimal("12.00"),
                                 note=f"{name[:4]}爬虫转账{tag[:4]}",
                                 idempotency_key=f"crawler:{uuid.uuid4().hex}")
    recharge = RedPacketRecharge(merchant_id=merchant_id, amount=Decimal("2.00"),
                                 out_trade_no=f"RPRCRAWL{tag}", status="pending")
    activity = RedPacketActivity(merchant_id=merchant_id, name=f"{name[:4]}爬虫红包{tag[:4]}",
                                 total=Decimal("10.00"), remaining=Decimal("9.00"),
                                 awarded=Decimal("1.00"), claim_mode="window",
                                 starts_at=datetime(2026, 1, 1), ends_at=datetime(2030, 1, 1),
                                 per_day=0, per_member=0, status="active", logo=filename)
    setting = session.execute(select(RedPacketSetting).where(
        RedPacketSetting.merchant_id == merchant_id)).scalar()
    if setting is None:
        setting = RedPacketSetting(merchant_id=merchant_id)
        session.add(setting)
        session.flush()
        rows.append((RedPacketSetting, setting.id))
    setting.follow_qr = filename
    session.add_all([ledger, recharge, activity])
    session.flush()
    tier = RedPacketTier(merchant_id=merchant_id, activity_id=activity.id,
                         amount=Decimal("1.00"), probability=Decimal("50"))
    payout = RedPacketPayout(merchant_id=merchant_id, member_id=member.id,
                             openid=f"oCrawler{tag}", amount=Decimal("1.00"),
                             source="red_packet", mch_billno=f"RPCRAWL{tag}",
                             status="failed", error=f"{name[:4]}爬虫失败原因{tag[:4]}")
    session.add_all([tier, payout])
    session.flush()
    draw = RedPacketDraw(merchant_id=merchant_id, activity_id=activity.id,
                         member_id=member.id, won=True, amount=Decimal("1.00"),
                         tier_id=tier.id, drawn_tier_id=tier.id, payout_id=payout.id)
    budget = RedPacketBudgetLedger(merchant_id=merchant_id, activity_id=activity.id,
                                   kind="draw", delta=Decimal("-1.00"),
                                   remaining_after=Decimal("9.00"), ref=f"crawler:{tag}")
    session.add_all([draw, budget])
    session.commit()
    return rows + [(RedPacketPoolLedger, ledger.id), (RedPacketRecharge, recharge.id),
                   (RedPacketActivity, activity.id), (RedPacketTier, tier.id),
                   (RedPacketPayout, payout.id), (RedPacketDraw, draw.id),
                   (RedPacketBudgetLedger, budget.id)]


def _plant_media(world, session, merchant_id):
    """A 素材库 file with its stored bytes (the row factory's placeholder has none)."""
    import io

    from PIL import Image

    from app.services import media

    stream = io.BytesIO()
    Image.new("RGB", (8, 8), "green").save(stream, format="PNG")
    storage = media.storage_for(world.app.config)
    row = media.upload_media(session, merchant_id=merchant_id, storage=storage,
                             filename="crawler.png", data=stream.getvalue())
    session.commit()
    world.paths += [storage._path(row.storage_key), storage._path(row.thumb_key)]
    return [(type(row), row.id)]


def _plant_face(session, merchant_id, shop, filename, name, tag):
    """AI 刷脸: a campaign whose share image is the planted file, and a scan whose photo is
    retained (encrypted), so the share-image API and the photo page have something to serve."""
    import io
    from datetime import timedelta

    from PIL import Image
    from sqlalchemy import select

    from app.crypto import encrypt_bytes
    from app.models.base import china_now
    from app.models.face_coupon import FaceCampaign, FacePhoto, FaceScan
    from app.models.member import Member

    campaign = FaceCampaign(merchant_id=merchant_id, name=f"{name}爬虫刷脸{tag[:4]}",
                            shop_id=shop.id, share_image=filename)
    session.add(campaign)
    session.flush()
    member_id = session.execute(select(Member.id).where(
        Member.merchant_id == merchant_id).order_by(Member.id).limit(1)).scalar()
    expires = china_now() + timedelta(days=7)
    scan = FaceScan(merchant_id=merchant_id, campaign_id=campaign.id, member_id=member_id,
                    result="no_match", provider="local", gender="female", age=30,
                    image_sha256=f"{tag}crawler".ljust(64, "0"), photo_expires_at=expires)
    session.add(scan)
    session.flush()
    stream = io.BytesIO()
    Image.new("RGB", (8, 8), "blue").save(stream, format="PNG")
    photo = FacePhoto(merchant_id=merchant_id, scan_id=scan.id, content_type="image/png",
                      data=encrypt_bytes(stream.getvalue()), expires_at=expires)
    session.add(photo)
    session.commit()
    return [(FaceCampaign, campaign.id), (FaceScan, scan.id), (FacePhoto, photo.id)]


def _plant_payment(session, merchant_id, name, tag):
    """A payment notification needs its payment config (a foreign key)."""
    from app.models.wechat import PaymentConfig, PaymentNotification

    config = PaymentConfig(merchant_id=merchant_id, channel="mini", mch_id=f"9{tag[:7]}")
    session.add(config)
    session.flush()
    notification = PaymentNotification(
        merchant_id=merchant_id, config_id=config.id, out_trade_no=f"{name}爬虫单{tag[:4]}",
        transaction_id=f"crawler{tag}", total_fee=1)
    session.add(notification)
    session.commit()
    return [(PaymentConfig, config.id), (PaymentNotification, notification.id)]


def _unplant(world):
    from flask_appbuilder.security.sqla.models import Role

    from app.extensions import db
    from app.models.merchant import MerchantRole
    from app.tenancy import platform_scope

    with world.app.app_context(), platform_scope():
        # Newest first: a row planted later may reference one planted before it (a
        # payment notification its config, a placeholder row an existing parent).
        for model, pk in reversed(world.planted):
            item = db.session.get(model, pk)
            if item is None:
                continue
            if isinstance(item, MerchantRole) and item.role is not None:
                role = db.session.get(Role, item.role_id)
                db.session.delete(item)
                db.session.flush()
                role.permissions = []
                db.session.delete(role)
            else:
                db.session.delete(item)
            db.session.flush()
        db.session.commit()
    for path in world.paths:
        if os.path.exists(path):
            os.remove(path)


def _load_accounts(world):
    from app.extensions import db
    from app.models.merchant import Merchant, StaffUser
    from app.tenancy import platform_scope

    with world.app.app_context(), platform_scope():
        for key, name in MERCHANTS.items():
            merchant = db.session.execute(select(Merchant).where(Merchant.name == name)).scalar_one()
            world.merchant[key] = merchant.id
            world.owner[key] = db.session.execute(
                select(StaffUser.id).where(StaffUser.merchant_id == merchant.id,
                                           StaffUser.is_owner.is_(True))).scalar_one()
        for who, (account, _password) in ACCOUNTS.items():
            user = db.session.execute(select(StaffUser).where(
                (StaffUser.phone == account) | (StaffUser.username == account))).scalar_one()
            world.user_ids[who] = user.id
            # Straight from the user's roles, not through the app's permission code.
            world.perms[who] = {(pv.permission.name, pv.view_menu.name)
                                for role in user.roles for pv in role.permissions}
            shown = {user.first_name, user.phone, user.username, user.email,
                     user.display_name}
            if user.merchant is not None:
                shown |= {user.merchant.name, user.merchant.contact_phone}
            world.own_strings[who] = {s for s in shown if s}
        db.session.rollback()


@pytest.fixture(scope="module")
def world(app):
    """The crawler's world. Rows planted here are removed when the module ends."""
    crawl_world = World(app)
    _load_accounts(crawl_world)
    _plant(crawl_world)
    # Exports answer with the file itself, however many rows earlier tests left behind
    # (above the limit they become task-center jobs, whose files the crawl cannot read).
    export_limit = app.config["EXPORT_SYNC_LIMIT"]
    app.config["EXPORT_SYNC_LIMIT"] = 1_000_000
    try:
        yield crawl_world
    finally:
        app.config["EXPORT_SYNC_LIMIT"] = export_limit
        _unplant(crawl_world)


def xlsx_cells(data):
    """Every cell of every sheet of an xlsx file, as text."""
    import io

    from python_calamine import CalamineWorkbook

    book = CalamineWorkbook.from_filelike(io.BytesIO(data))
    cells = []
    for name in book.sheet_names:
        for row in book.get_sheet_by_name(name).to_python():
            cells.extend(str(v) for v in row if v not in ("", None))
    return cells

