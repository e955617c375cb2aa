"""数据分析: the sync job (button and `flask md sync-wxa-analytics`) fills the cache from the
datacube; the page reads the cache only."""
import json

from app.models.mini_program import WxaAnalytics
from app.services.mini_program import periods
from tests.conftest import merchant_id
from tests.views.mini_program_fixtures import MINI, bound, component, rows  # noqa: F401

DATACUBE = ("/datacube/getweanalysisappiddailysummarytrend",
            "/datacube/getweanalysisappidmonthlyvisittrend",
            "/datacube/getweanalysisappiduserportrait")


def _cache(app, name="鲜果时光"):
    return {r.kind: (r.ref_date, json.loads(r.data))
            for r in rows(app, WxaAnalytics, merchant_id=merchant_id(app, name))}


def _sync(client):
    return client.post("/miniprogram/analytics/sync", data={
        "csrf_token": client.csrf("/miniprogram/analytics/")}, follow_redirects=True)


def test_sync_button_fills_the_cache_and_the_page_reads_only_the_cache(app, wechat, bound):
    page = _sync(bound).get_data(as_text=True)
    assert "数据已同步" in page
    spans = periods()
    sent = {path: json.loads(wechat.received(path)[0]["body"]) for path in DATACUBE}
    yesterday = spans["summary"][0].strftime("%Y%m%d")
    assert sent[DATACUBE[0]] == {"begin_date": yesterday, "end_date": yesterday}
    assert sent[DATACUBE[1]] == {"begin_date": spans["monthly"][0].strftime("%Y%m%d"),
                                 "end_date": spans["monthly"][1].strftime("%Y%m%d")}
    cache = _cache(app)
    assert cache["summary"] == (yesterday, {"visit_total": 1520, "share_pv": 64, "share_uv": 40})
    assert cache["monthly"][1] == {"session_cnt": 5120, "visit_pv": 18000, "visit_uv": 2400,
                                   "visit_uv_new": 410}
    assert cache["portrait"][1]["genders"] == [{"name": "男", "value": 900},
                                               {"name": "女", "value": 1400}]
    wechat.requests.clear()
    page = bound.get("/miniprogram/analytics/").get_data(as_text=True)
    assert wechat.requests == []  # the page never waits on WeChat
    for text in ("1520", "5120", "18000", "2400", "410", "性别分布", "年龄分布", "地区分布",
                 "平台分布", "女", "1400 (60.9%)", "iPhone", "上海", "<svg"):
        assert text in page, text


def test_cli_syncs_every_bound_mini_program(app, wechat, bound):
    wechat.apps[MINI]["summary"]["visit_total"] = 2024
    result = app.test_cli_runner().invoke(args=["md", "sync-wxa-analytics"])
    assert result.exit_code == 0, result.output
    assert f"merchant {merchant_id(app, '鲜果时光')}: ok" in result.output
    assert _cache(app)["summary"][1]["visit_total"] == 2024


def test_wechat_down_keeps_the_cached_data(app, wechat, bound):
    before = _cache(app)
    wechat.down = True
    page = _sync(bound).get_data(as_text=True)
    assert "同步失败" in page and "网络错误" in page
    assert _cache(app) == before


def test_sync_without_a_mini_program(app, component, login_as):
    before = _cache(app, "茶语小铺")
    page = _sync(login_as("owner_b")).get_data(as_text=True)
    assert "请先在“开通小程序”中开通或绑定小程序" in page
    assert _cache(app, "茶语小铺") == before


# -- the sync status the page shows (the RQ job has no one else to tell) --------------------
def _status(app, name="鲜果时光"):
    from app.models.wechat import MiniProgramConfig

    config, = rows(app, MiniProgramConfig, merchant_id=merchant_id(app, name))
    return config.analytics_synced_at, config.analytics_error


def test_rq_job_failure_is_shown_on_the_page_in_chinese(app, wechat, bound):
    from app.workers.mini_program import sync_analytics

    # What an RQ worker runs: the job function, in the worker's app context.
    wechat.down = True
    with app.app_context():
        results = sync_analytics(merchant_id(app, "鲜果时光"))
    assert all(error is not None for error in results.values())
    synced_at, error = _status(app)
    assert synced_at is not None and "网络错误" in error
    page = bound.get("/miniprogram/analytics/").get_data(as_text=True)
    assert 'id="wxa-sync-status"' in page and "失败：" in page and "网络错误" in page

    # One kind refused by WeChat: the others are cached, the refusal is shown.
    wechat.down = False
    wechat.apps[MINI]["portrait_errcode"] = 61501
    with app.app_context():
        results = sync_analytics(merchant_id(app, "鲜果时光"))
    assert results["summary"] is None and results["portrait"] is not None
    assert _status(app)[1] == "统计日期范围错误"
    page = bound.get("/miniprogram/analytics/").get_data(as_text=True)
    assert "统计日期范围错误" in page and "1520" in page

    # The next good run clears the error and shows the time.
    del wechat.apps[MINI]["portrait_errcode"]
    with app.app_context():
        sync_analytics(merchant_id(app, "鲜果时光"))
    synced_at, error = _status(app)
    assert error is None
    page = bound.get("/miniprogram/analytics/").get_data(as_text=True)
    assert f"上次同步：{synced_at:%Y-%m-%d %H:%M}" in page and "失败：" not in page
