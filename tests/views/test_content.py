"""品牌内容编辑 through the test client: 焦点图管理, two-step articles, 目录, 关于商城, and the
public shop API that shows only published, visible content of the shop's own merchant."""
import io
import re
from datetime import timedelta

from PIL import Image
from sqlalchemy import select

from tests.conftest import merchant_id

HOSTILE = ('<script>alert(1)</script><p onclick="steal()">正文<b>加粗</b></p>'
           '<a href="javascript:alert(2)">链接</a><img src="https://img.example/a.png" '
           'onerror="evil()"><iframe src="https://evil.example"></iframe>'
           '<style>body{display:none}</style><video src="https://v.example/a.mp4" controls>'
           '</video>')


def png(color=(200, 30, 30)):
    stream = io.BytesIO()
    Image.new("RGB", (8, 8), color).save(stream, format="PNG")
    return stream.getvalue()


def rows(app, merchant_name, statement):
    from app.extensions import db
    from app.tenancy import tenant_scope

    with app.app_context(), tenant_scope(merchant_id(app, merchant_name)):
        result = db.session.execute(statement).all()
        db.session.expunge_all()  # ORM rows stay readable after the session closes
        db.session.rollback()
        return result


def first(app, merchant_name, statement):
    found = rows(app, merchant_name, statement)
    return found[0][0] if found else None


def shop_ids(app, merchant_name):
    from app.models.shop import Shop

    return [r[0] for r in rows(app, merchant_name, select(Shop.id).order_by(Shop.id))]


def product_id(app, merchant_name):
    from app.models.catalog import Product

    return first(app, merchant_name, select(Product.id).where(Product.status == "on_shelf")
                 .order_by(Product.id))


def category_id(app, merchant_name, name="新品资讯"):
    from app.models.content import ArticleCategory

    return first(app, merchant_name, select(ArticleCategory.id).where(
        ArticleCategory.name == name))


def article(app, merchant_name, title):
    from app.models.content import Article

    found = rows(app, merchant_name, select(Article).where(Article.title == title))
    return found[0][0] if found else None


def api(client, path):
    return client.get(f"/api/v1{path}")


def add_article(client, app, title, **extra):
    token = client.csrf("/articleview/add")
    form = {"title": title, "summary": "摘要", "category": str(category_id(app, "鲜果时光")),
            "csrf_token": token}
    form.update(extra)
    return client.post("/articleview/add", data=form)


# -- articles ------------------------------------------------------------------------------
def test_new_article_is_two_steps_and_publish_shows_it_in_the_shop_api(app, login_as):
    client = login_as("owner_a")
    head = product_id(app, "鲜果时光")
    response = add_article(client, app, "两步发布的文章", head_product=str(head))
    assert response.status_code == 302
    created = article(app, "鲜果时光", "两步发布的文章")
    assert response.location.endswith(f"/articleview/body/{created.id}")
    assert not created.published and created.head_product_id == head
    shop = shop_ids(app, "鲜果时光")[0]
    listed = api(app.test_client(), f"/shops/{shop}/articles").get_json()["articles"]
    assert created.id not in [a["id"] for a in listed], "a draft must not be public"
    assert api(app.test_client(), f"/shops/{shop}/articles/{created.id}").status_code == 404

    page = client.get(f"/articleview/body/{created.id}").get_data(as_text=True)
    assert "立即发布" in page and "第二步" in page
    response = client.post(f"/articleview/body/{created.id}", data={
        "body": HOSTILE, "submit_action": "publish", "csrf_token": client.csrf()})
    assert response.status_code == 302
    stored = article(app, "鲜果时光", "两步发布的文章")
    assert stored.published and stored.visible and stored.published_at is not None
    for bad in ("<script", "onclick", "javascript:", "onerror", "<iframe", "<style", "steal"):
        assert bad not in stored.body, bad
    assert "<b>加粗</b>" in stored.body and "<img" in stored.body
    assert "<video" not in stored.body, "an external video is not the merchant's library file"

    public = app.test_client()
    listed = api(public, f"/shops/{shop}/articles").get_json()["articles"]
    assert created.id in [a["id"] for a in listed]
    detail = api(public, f"/shops/{shop}/articles/{created.id}").get_json()
    assert detail["title"] == "两步发布的文章" and "<script" not in detail["body"]
    assert detail["head_product"]["id"] == head and detail["tail_product"] is None
    # Every shop of the merchant shows the same articles; another merchant's shop does not.
    other_shop = shop_ids(app, "茶语小铺")[0]
    assert api(public, f"/shops/{other_shop}/articles/{created.id}").status_code == 404
    assert created.id not in [a["id"] for a in api(
        public, f"/shops/{other_shop}/articles").get_json()["articles"]]

    # 隐藏 takes it off the shop at once; 显示 brings it back.
    client.post(f"/articleview/action/hide_article/{created.id}",
                data={"csrf_token": client.csrf()})
    assert api(public, f"/shops/{shop}/articles/{created.id}").status_code == 404
    client.post(f"/articleview/action/show_article/{created.id}",
                data={"csrf_token": client.csrf()})
    assert api(public, f"/shops/{shop}/articles/{created.id}").status_code == 200
    shown = client.get(f"/articleview/show/{created.id}").get_data(as_text=True)
    assert "<b>加粗</b>" in shown and "<script>alert" not in shown and "已发布" in shown


def test_article_limits_are_shown_at_the_field_and_nothing_is_saved(app, login_as):
    client = login_as("owner_a")
    other_product = product_id(app, "茶语小铺")
    text = add_article(client, app, "长" * 65, summary="摘" * 201,
                       video="http://v.example/a.avi",
                       head_product=str(other_product)).get_data(as_text=True)
    assert "文章标题须为 2-64 个字" in text
    assert "摘要不能超过 200 个字" in text
    assert "只能使用素材库中的文件" in text
    assert "所选内容无效或已被删除" in text
    assert article(app, "鲜果时光", "长" * 65) is None
    # The typed values stay in the form.
    assert "摘" * 201 in text
    # A video from another merchant's 素材库 token is refused too.
    text = add_article(client, app, "素材库视频", video="/api/v1/media/" + "A" * 32).get_data(
        as_text=True)
    assert "素材不存在或不属于本商家" in text
    assert article(app, "鲜果时光", "素材库视频") is None


def test_body_over_the_limit_keeps_the_draft_and_the_typed_text(app, login_as):
    client = login_as("owner_a")
    add_article(client, app, "超长正文")
    created = article(app, "鲜果时光", "超长正文")
    client.post(f"/articleview/body/{created.id}", data={
        "body": "<p>第一版</p>", "submit_action": "save", "csrf_token": client.csrf()})
    response = client.post(f"/articleview/body/{created.id}", data={
        "body": "<p>" + "字" * 60001 + "</p>", "submit_action": "publish",
        "csrf_token": client.csrf()})
    assert response.status_code == 422
    text = response.get_data(as_text=True)
    assert "不能超过 60000 个字符" in text and "字" * 1000 in text
    stored = article(app, "鲜果时光", "超长正文")
    assert stored.body == "<p>第一版</p>" and not stored.published


def test_publish_action_skips_articles_without_body_and_future_time_is_scheduled(app,
                                                                                 login_as):
    from app.models.base import china_now

    client = login_as("owner_a")
    add_article(client, app, "没有正文")
    empty = article(app, "鲜果时光", "没有正文")
    client.post(f"/articleview/action/publish/{empty.id}", data={"csrf_token": client.csrf()})
    assert not article(app, "鲜果时光", "没有正文").published
    later = (china_now() + timedelta(days=2)).strftime("%Y-%m-%d %H:%M:%S")
    add_article(client, app, "定时文章", published_at=later)
    scheduled = article(app, "鲜果时光", "定时文章")
    assert scheduled.published_at is not None, "the publish time was not saved"
    response = client.post(f"/articleview/body/{scheduled.id}", data={
        "body": "<p>明天见</p>", "submit_action": "publish", "csrf_token": client.csrf()},
        follow_redirects=True)
    assert "将于" in response.get_data(as_text=True)
    shop = shop_ids(app, "鲜果时光")[0]
    assert api(app.test_client(), f"/shops/{shop}/articles/{scheduled.id}").status_code == 404
    listed = client.get("/articleview/list/").get_data(as_text=True)
    assert "定时发布" in listed and "草稿" in listed


def test_other_merchant_cannot_open_or_change_an_article(app, login_as):
    client_a = login_as("owner_a")
    add_article(client_a, app, "A 的私有草稿")
    mine = article(app, "鲜果时光", "A 的私有草稿")
    client_b = login_as("owner_b")
    for url in (f"/articleview/show/{mine.id}", f"/articleview/body/{mine.id}",
                f"/articleview/edit/{mine.id}"):
        assert client_b.get(url).status_code == 404, url
    response = client_b.post(f"/articleview/body/{mine.id}", data={
        "body": "<p>B 改写</p>", "submit_action": "publish", "csrf_token": client_b.csrf()})
    assert response.status_code == 404
    client_b.post(f"/articleview/action/publish/{mine.id}", data={"csrf_token": client_b.csrf()})
    assert not article(app, "鲜果时光", "A 的私有草稿").published
    assert "A 的私有草稿" not in client_b.get("/articleview/list/").get_data(as_text=True)
    # B's category dropdown and product search offer none of A's rows.
    form = client_b.get("/articleview/add").get_data(as_text=True)
    assert "新品资讯" in form and f'value="{category_id(app, "鲜果时光")}"' not in form
    related = client_b.get("/articleview/related/head_product").get_json()["results"]
    a_products = {r[0] for r in rows(app, "鲜果时光", select(
        __import__("app.models.catalog", fromlist=["Product"]).Product.id))}
    assert related and not a_products & {r["id"] for r in related}


def test_demo_articles_categories_and_drafts(app):
    shop = shop_ids(app, "茶语小铺")[0]
    listed = api(app.test_client(), f"/shops/{shop}/articles").get_json()["articles"]
    titles = [a["title"] for a in listed]
    assert "茶语小铺：我们的品牌故事" in titles
    assert "茶语小铺：如何挑选与保存" not in titles  # the demo draft
    category = category_id(app, "茶语小铺", "品牌故事")
    by_category = api(app.test_client(), f"/shops/{shop}/articles?category={category}")
    assert [a["title"] for a in by_category.get_json()["articles"]] == ["茶语小铺：我们的品牌故事"]
    assert api(app.test_client(), f"/shops/{shop}/articles?page=x").status_code == 400
    assert api(app.test_client(), "/shops/99999999/articles").status_code == 404


# -- 目录管理 -------------------------------------------------------------------------------
def test_category_name_is_unique_and_a_used_category_is_not_deleted(app, login_as):
    from app.models.content import ArticleCategory

    client = login_as("owner_a")
    token = client.csrf("/articlecategoryview/add")
    text = client.post("/articlecategoryview/add", data={
        "name": "新品资讯", "sort": "1", "csrf_token": token}).get_data(as_text=True)
    assert "目录名称“新品资讯”已存在" in text
    text = client.post("/articlecategoryview/add", data={
        "name": "目" * 21, "sort": "1", "csrf_token": token}).get_data(as_text=True)
    assert "目录名称须为 1-20 个字" in text
    # The same name in another merchant is fine (names are per merchant).
    client_b = login_as("owner_b")
    client_b.post("/articlecategoryview/add", data={
        "name": "仅茶语目录", "sort": "1", "csrf_token": client_b.csrf("/articlecategoryview/add")})
    client.post("/articlecategoryview/add", data={
        "name": "仅茶语目录", "sort": "1", "csrf_token": token})
    assert first(app, "鲜果时光", select(ArticleCategory.id).where(
        ArticleCategory.name == "仅茶语目录"))
    used = category_id(app, "鲜果时光", "品牌故事")
    response = client.post(f"/articlecategoryview/delete/{used}", data={"csrf_token": token},
                           follow_redirects=True)
    assert "该目录下还有文章" in response.get_data(as_text=True)
    assert category_id(app, "鲜果时光", "品牌故事") == used


# -- 焦点图管理 -----------------------------------------------------------------------------
def upload_media(client, name="焦点.png", data=None):
    """A file in the merchant's 素材库, uploaded as the picker does; returns its JSON."""
    response = client.post("/mediaview/upload?format=json", data={
        "file": (io.BytesIO(data or png()), name)}, content_type="multipart/form-data",
        headers={"X-CSRFToken": client.csrf()})
    assert response.status_code == 200, response.get_json()
    return response.get_json()["files"][0]


def test_focus_image_needs_a_library_image_and_a_link_of_this_merchant(app, login_as):
    from app.models.content import BrandFocusImage

    client = login_as("owner_a")
    page = client.get("/brandfocusimageview/list/").get_data(as_text=True)
    assert "示例" in page and "md-phone" in page and "焦点图（轮播）" in page
    form = client.get("/brandfocusimageview/add").get_data(as_text=True)
    assert "md-media-pick" in form and "从素材库选择图片" in form and "media_picker.js" in form
    assert 'type="file"' not in form
    token = client.csrf("/brandfocusimageview/add")
    base = {"title": "双十二", "sort": "1", "active": "y", "csrf_token": token}
    text = client.post("/brandfocusimageview/add", data=dict(base, link="")).get_data(
        as_text=True)
    assert "请从素材库选择焦点图图片" in text
    ours_file = upload_media(client, data=png((10, 200, 10)))
    theirs_file = upload_media(login_as("owner_b"), "别家.png")
    video = upload_media(client, "片头.mp4", b"\x00\x00\x00\x18ftypmp42" + b"\x00" * 64)
    other = product_id(app, "茶语小铺")
    for fields, message in (
            (dict(link=f"product:{other}", image=ours_file["url"]), "链接的商品不存在"),
            (dict(link="javascript:alert(1)", image=ours_file["url"]), "链接格式不正确"),
            (dict(link="article:99999999", image=ours_file["url"]), "链接的文章不存在"),
            (dict(link="", image=theirs_file["url"]), "素材不存在或不属于本商家"),
            (dict(link="", image="https://evil.example/x.png"), "只能使用素材库中的文件"),
            (dict(link="", image=video["url"]), "所选素材类型不对，这里需要图片")):
        text = client.post("/brandfocusimageview/add", data=dict(base, **fields)).get_data(
            as_text=True)
        assert message in text, fields
    assert not first(app, "鲜果时光", select(BrandFocusImage.id).where(
        BrandFocusImage.title == "双十二"))
    mine = product_id(app, "鲜果时光")
    response = client.post("/brandfocusimageview/add", data=dict(
        base, link=f"product:{mine}", image=ours_file["url"]))
    assert response.status_code == 302
    saved = rows(app, "鲜果时光", select(BrandFocusImage).where(
        BrandFocusImage.title == "双十二"))[0][0]
    assert saved.image == ours_file["url"]
    listing = client.get("/brandfocusimageview/list/").get_data(as_text=True)
    assert ours_file["url"] + "/thumb" in listing

    public = app.test_client()
    shop_a = shop_ids(app, "鲜果时光")[0]
    items = api(public, f"/shops/{shop_a}/focus-images").get_json()["focus_images"]
    ours = next(i for i in items if i["id"] == saved.id)
    assert ours["link"] == f"product:{mine}" and ours["image"] == ours_file["url"]
    image = public.get(ours["image"])
    assert image.status_code == 200 and image.data == png((10, 200, 10))
    # the file is in use: the library refuses to delete it and names the focus image
    html = client.post(f"/mediaview/delete/{ours_file['id']}", data={
        "csrf_token": client.csrf()}, follow_redirects=True).get_data(as_text=True)
    assert "正在使用中，不能删除" in html and "焦点图“双十二”" in html
    # editing without choosing again keeps the image; 停用 takes it off the shop
    response = client.post(f"/brandfocusimageview/edit/{saved.id}", data=dict(
        base, link=f"product:{mine}", image=ours_file["url"], active=""))
    assert response.status_code == 302, response.get_data(as_text=True)[-3000:]
    assert saved.id not in [i["id"] for i in api(
        public, f"/shops/{shop_a}/focus-images").get_json()["focus_images"]]


def test_a_focus_image_uploaded_before_the_picker_is_kept_on_edit(app, login_as):
    """Rows made with the old upload field hold a file name; editing keeps it, and it is
    still shown through the view's checked route and the shop API."""
    import os

    from app.extensions import db
    from app.models.content import BrandFocusImage
    from app.tenancy import tenant_scope

    name = "legacy0123456789abcdef0123456789.png"
    with open(os.path.join(app.config["UPLOAD_FOLDER"], name), "wb") as fh:
        fh.write(png((1, 2, 3)))
    with app.app_context(), tenant_scope(merchant_id(app, "鲜果时光")):
        row = BrandFocusImage(title="旧焦点图", image=name, sort=5, active=True)
        db.session.add(row)
        db.session.commit()
        pk = row.id
    client = login_as("owner_a")
    form = client.get(f"/brandfocusimageview/edit/{pk}").get_data(as_text=True)
    assert f"/brandfocusimageview/download/{name}" in form
    response = client.post(f"/brandfocusimageview/edit/{pk}", data={
        "title": "旧焦点图改", "sort": "5", "active": "y", "link": "", "image": name,
        "csrf_token": client.csrf(f"/brandfocusimageview/edit/{pk}")})
    assert response.status_code == 302, response.get_data(as_text=True)[-2000:]
    saved = first(app, "鲜果时光", select(BrandFocusImage.image).where(BrandFocusImage.id == pk))
    assert saved == name
    assert client.get(f"/brandfocusimageview/download/{name}").data == png((1, 2, 3))
    # but another stored file name cannot be typed in
    text = client.post(f"/brandfocusimageview/edit/{pk}", data={
        "title": "旧焦点图改", "sort": "5", "active": "y", "link": "", "image": "other.png",
        "csrf_token": client.csrf(f"/brandfocusimageview/edit/{pk}")}).get_data(as_text=True)
    assert "只能使用素材库中的文件" in text


def test_article_cover_comes_from_the_library_and_blocks_its_deletion(app, login_as):
    client = login_as("owner_a")
    cover = upload_media(client, "封面.png")
    form = client.get("/articleview/add").get_data(as_text=True)
    assert "md-media-pick" in form and 'name="cover"' in form
    theirs = upload_media(login_as("owner_b"), "别家封面.png")
    text = add_article(client, app, "别家封面的文章", cover=theirs["url"]).get_data(as_text=True)
    assert "素材不存在或不属于本商家" in text
    assert article(app, "鲜果时光", "别家封面的文章") is None
    response = add_article(client, app, "有封面的文章", cover=cover["url"])
    assert response.status_code == 302
    created = article(app, "鲜果时光", "有封面的文章")
    assert created.cover == cover["url"]
    client.post(f"/articleview/body/{created.id}", data={
        "body": "<p>正文</p>", "submit_action": "publish", "csrf_token": client.csrf()})
    shop = shop_ids(app, "鲜果时光")[0]
    card = next(a for a in api(app.test_client(), f"/shops/{shop}/articles").get_json()[
        "articles"] if a["id"] == created.id)
    assert card["cover"] == cover["url"]
    assert app.test_client().get(cover["url"]).status_code == 200
    html = client.post(f"/mediaview/delete/{cover['id']}", data={
        "csrf_token": client.csrf()}, follow_redirects=True).get_data(as_text=True)
    assert "正在使用中，不能删除" in html and "文章《有封面的文章》" in html


def test_rich_text_editors_offer_the_library_and_keep_sanitizing(app, login_as):
    client = login_as("owner_a")
    picture = upload_media(client, "正文图.png")
    add_article(client, app, "图文正文文章")
    created = article(app, "鲜果时光", "图文正文文章")
    for path in (f"/articleview/body/{created.id}", "/about/edit"):
        html = client.get(path).get_data(as_text=True)
        assert 'data-rich-editor="1"' in html and "data-media-config=" in html
        assert "/mediaview/picker" in html and "vendor/quill/quill.js" in html
        assert "media_picker.js" in html and "富文本编辑器未安装" in html
    body = f'<p>看图<img src="{picture["url"]}" onerror="x()"></p><script>alert(1)</script>'
    response = client.post(f"/articleview/body/{created.id}", data={
        "body": body, "submit_action": "save", "csrf_token": client.csrf()})
    assert response.status_code == 302
    stored = article(app, "鲜果时光", "图文正文文章").body
    assert f'<img src="{picture["url"]}">' in stored
    assert "<script" not in stored and "onerror" not in stored
    # another merchant's library image is refused and the typed text stays on the page
    theirs = upload_media(login_as("owner_b"), "别家正文图.png")
    response = client.post("/about/edit", data={
        "title": "关于我们", "body": f'<p>别家<img src="{theirs["url"]}"></p>',
        "csrf_token": client.csrf("/about/edit")})
    assert response.status_code == 422
    assert "素材不存在或不属于本商家" in response.get_data(as_text=True)
    response = client.post("/about/edit", data={
        "title": "关于我们", "body": f'<p>本店<img src="{picture["url"]}"></p>',
        "csrf_token": client.csrf("/about/edit")})
    assert response.status_code == 302
    html = client.post(f"/mediaview/delete/{picture['id']}", data={
        "csrf_token": client.csrf()}, follow_redirects=True).get_data(as_text=True)
    assert "文章《图文正文文章》" in html and "关于商城" in html


# -- 关于商城 -------------------------------------------------------------------------------
def test_about_page_is_sanitized_and_shared_by_every_shop(app, login_as):
    client = login_as("owner_a")
    assert "关于我们" in client.get("/about/").get_data(as_text=True)
    response = client.post("/about/edit", data={
        "title": "品牌故事", "body": HOSTILE, "csrf_token": client.csrf("/about/edit")})
    assert response.status_code == 302
    public = app.test_client()
    bodies = [api(public, f"/shops/{s}/about").get_json() for s in shop_ids(app, "鲜果时光")]
    assert len(bodies) >= 2 and all(b == bodies[0] for b in bodies)
    assert bodies[0]["title"] == "品牌故事" and "<b>加粗</b>" in bodies[0]["body"]
    assert not re.search(r"<script|onclick|javascript:|onerror|<iframe", bodies[0]["body"])
    other = api(public, f"/shops/{shop_ids(app, '茶语小铺')[0]}/about").get_json()
    assert "加粗" not in other["body"] and "茶语小铺" in other["body"]
    response = client.post("/about/edit", data={
        "title": "", "body": "<p>新内容</p>", "csrf_token": client.csrf("/about/edit")})
    assert response.status_code == 422
    assert "标题须为 1-30 个字" in response.get_data(as_text=True)
    assert "<p>新内容</p>" in response.get_data(as_text=True).replace("&lt;", "<").replace(
        "&gt;", ">")
    assert api(public, f"/shops/{shop_ids(app, '鲜果时光')[0]}/about").get_json()[
        "title"] == "品牌故事"


def test_staff_without_permission_cannot_edit_about(app, login_as):
    client = login_as("verifier_a")
    response = client.post("/about/edit", data={
        "title": "核销员改写", "body": "<p>x</p>", "csrf_token": client.csrf()})
    assert response.status_code in (302, 403)
    public = app.test_client()
    assert api(public, f"/shops/{shop_ids(app, '鲜果时光')[0]}/about").get_json()[
        "title"] != "核销员改写"
    manager = login_as("manager_a")
    assert manager.get("/about/").status_code == 200
    assert manager.get("/articleview/list/").status_code == 200
    assert manager.get("/certification/").status_code in (302, 403)


# -- 视频 from the 素材库, and library videos in rich text (issue #7) ------------------------
MP4 = b"\x00\x00\x00\x18ftypisom" + b"\x00" * 80


def test_article_video_is_a_library_picker_and_blocks_its_deletion(app, login_as):
    from app.extensions import db
    from app.models.content import Article
    from app.tenancy import tenant_scope

    client = login_as("owner_a")
    form = client.get("/articleview/add").get_data(as_text=True)
    assert 'data-kind="video"' in form and 'name="video"' in form
    assert "从素材库选择视频" in form
    video = upload_media(client, "开箱.mp4", MP4)
    picture = upload_media(client, "不是视频.png")
    theirs = upload_media(login_as("owner_b"), "别家视频.mp4", MP4)
    for value, message in ((picture["url"], "所选素材类型不对，这里需要视频"),
                           (theirs["url"], "素材不存在或不属于本商家"),
                           ("https://v.example/a.mp4", "只能使用素材库中的文件")):
        text = add_article(client, app, "视频文章", video=value).get_data(as_text=True)
        assert message in text, value
        assert article(app, "鲜果时光", "视频文章") is None
    response = add_article(client, app, "视频文章", video=video["url"])
    assert response.status_code == 302
    created = article(app, "鲜果时光", "视频文章")
    assert created.video == video["url"]
    shown = client.get(f"/articleview/show/{created.id}").get_data(as_text=True)
    assert f'<video class="md-thumb" src="{video["url"]}"' in shown
    edit = client.get(f"/articleview/edit/{created.id}").get_data(as_text=True)
    assert f'value="{video["url"]}"' in edit and f'src="{video["url"]}"' in edit
    client.post(f"/articleview/body/{created.id}", data={
        "body": "<p>看视频</p>", "submit_action": "publish", "csrf_token": client.csrf()})
    shop = shop_ids(app, "鲜果时光")[0]
    detail = api(app.test_client(), f"/shops/{shop}/articles/{created.id}").get_json()
    assert detail["video"] == video["url"]
    assert app.test_client().get(video["url"]).data == MP4
    # in use: the library refuses to delete the video and names the article
    html = client.post(f"/mediaview/delete/{video['id']}", data={
        "csrf_token": client.csrf()}, follow_redirects=True).get_data(as_text=True)
    assert "正在使用中，不能删除" in html and "文章《视频文章》" in html
    # an address saved before the picker stays when the form is saved unchanged
    with app.app_context(), tenant_scope(merchant_id(app, "鲜果时光")):
        db.session.get(Article, created.id).video = "https://v.example/old.mp4"
        db.session.commit()
    token = client.csrf(f"/articleview/edit/{created.id}")
    response = client.post(f"/articleview/edit/{created.id}", data={
        "title": "视频文章", "summary": "摘要", "video": "https://v.example/old.mp4",
        "category": str(category_id(app, "鲜果时光")), "csrf_token": token})
    assert response.status_code == 302, response.get_data(as_text=True)[-2000:]
    assert article(app, "鲜果时光", "视频文章").video == "https://v.example/old.mp4"


def test_sanitizer_keeps_only_the_merchants_own_library_videos(app, login_as):
    from app.extensions import db
    from app.services.content import clean_rich_text, sanitize_rich_text

    client = login_as("owner_a")
    ours = upload_media(client, "自家.mp4", MP4)
    poster = upload_media(client, "封面帧.png")
    theirs = upload_media(login_as("owner_b"), "别家.mp4", MP4)
    their_poster = upload_media(login_as("owner_b"), "别家封面帧.png")
    a = merchant_id(app, "鲜果时光")
    html = (f'<p>前</p><video src="{ours["url"]}" poster="{poster["url"]}" width="320" '
            f'height="180" autoplay onplay="x()" controls>备用文字</video>'
            f'<video src="{theirs["url"]}" controls>别家</video>'
            f'<video src="https://cdn.example/x.mp4"><source src="https://cdn.example/y.mp4">'
            f'</video><iframe src="https://evil.example/v"></iframe>'
            f'<script>alert(1)</script><video src="{ours["url"]}" '
            f'poster="{their_poster["url"]}"></video><p>后</p>')
    with app.app_context():
        clean = sanitize_rich_text(html, db.session, a)
        stored = clean_rich_text(html, db.session, a)
        without_session = sanitize_rich_text(html)
    assert stored == clean
    assert (f'<video src="{ours["url"]}" poster="{poster["url"]}" width="320" height="180" '
            f'controls="">备用文字</video>') in clean
    # the second own video lost the other merchant's poster and got controls
    assert f'<video src="{ours["url"]}" controls></video>' in clean
    assert clean.count("<video") == 2 and clean.count("</video>") == 2
    for bad in (theirs["url"], their_poster["url"], "cdn.example", "<source", "<iframe",
                "evil.example", "<script", "alert", "autoplay", "onplay"):
        assert bad not in clean, bad
    assert clean.startswith("<p>前</p>") and clean.endswith("<p>后</p>") and "别家" in clean
    assert "<video" not in without_session  # nothing to check ownership against: no video


def test_article_body_with_a_library_video_renders_in_the_shop_api(app, login_as):
    client = login_as("owner_a")
    video = upload_media(client, "正文视频.mp4", MP4)
    theirs = upload_media(login_as("owner_b"), "别家正文视频.mp4", MP4)
    add_article(client, app, "有视频的正文")
    created = article(app, "鲜果时光", "有视频的正文")
    for path in (f"/articleview/body/{created.id}", "/about/edit"):
        html = client.get(path).get_data(as_text=True)
        assert 'data-media-video="1"' in html and "插入素材库视频" in html
        assert 'id="rich-editor-video"' in html
    body = (f'<p>开头</p><video src="{video["url"]}" controls></video>'
            f'<video src="{theirs["url"]}" controls></video><p>结尾</p>')
    response = client.post(f"/articleview/body/{created.id}", data={
        "body": body, "submit_action": "publish", "csrf_token": client.csrf()})
    assert response.status_code == 302
    shop = shop_ids(app, "鲜果时光")[0]
    public = app.test_client()
    detail = api(public, f"/shops/{shop}/articles/{created.id}").get_json()
    assert (f'<p>开头</p><video src="{video["url"]}" controls=""></video><p>结尾</p>'
            == detail["body"])
    assert public.get(video["url"]).data == MP4
    shown = client.get(f"/articleview/show/{created.id}").get_data(as_text=True)
    assert f'<video src="{video["url"]}" controls=""></video>' in shown
    # 关于商城 keeps it too
    response = client.post("/about/edit", data={
        "title": "关于我们", "body": body, "csrf_token": client.csrf("/about/edit")})
    assert response.status_code == 302
    about = api(public, f"/shops/{shop}/about").get_json()["body"]
    assert f'<video src="{video["url"]}" controls=""></video>' in about
    assert theirs["url"] not in about
    html = client.post(f"/mediaview/delete/{video['id']}", data={
        "csrf_token": client.csrf()}, follow_redirects=True).get_data(as_text=True)
    assert "文章《有视频的正文》" in html and "关于商城" in html
