"""素材库 through the test client: uploads (type, size, disguised files), thumbnails,
isolation between merchants, the public token URL, groups, rename and delete in use."""
import io
import json
import re

import pytest
from PIL import Image
from sqlalchemy import select

from tests.conftest import merchant_id


def _db():
    from app.extensions import db

    return db


def png(size=(40, 30), color="blue", fmt="PNG"):
    stream = io.BytesIO()
    Image.new("RGB", size, color).save(stream, format=fmt)
    return stream.getvalue()


def upload(client, name, data, group_id=""):
    return client.post("/mediaview/upload?format=json", data={
        "file": (io.BytesIO(data), name), "group_id": group_id},
        content_type="multipart/form-data", headers={"X-CSRFToken": client.csrf()})


def test_upload_stores_under_the_merchant_prefix_with_a_thumbnail(app, login_as):
    from app.models.media import MediaFile
    from app.tenancy import tenant_scope

    client = login_as("owner_a")
    response = upload(client, "苹果.png", png((800, 600)))
    assert response.status_code == 200, response.get_json()
    file = response.get_json()["files"][0]
    assert file["name"] == "苹果.png" and file["kind"] == "image"
    assert re.fullmatch(r"/api/v1/media/[A-Za-z0-9_-]{32}", file["url"])
    a = merchant_id(app, "鲜果时光")
    with app.app_context(), tenant_scope(a):
        row = _db().session.get(MediaFile, file["id"])
        assert row.storage_key.startswith(f"m{a}/") and row.thumb_key.startswith(f"m{a}/")
        assert (row.width, row.height, row.content_type) == (800, 600, "image/png")
    thumb = client.get(file["thumb"])
    assert thumb.status_code == 200 and thumb.mimetype == "image/png"
    assert max(Image.open(io.BytesIO(thumb.data)).size) <= 240
    assert client.get(file["preview"]).data.startswith(b"\x89PNG")
    # the public token URL works without a login
    public = app.test_client().get(file["url"])
    assert public.status_code == 200 and public.mimetype == "image/png"


@pytest.mark.parametrize("name, data, message", [
    ("big.png", b"\x89PNG" + b"0" * (2 * 1024 * 1024 + 10), "图片不能超过 2 MB"),
    ("doc.pdf", b"%PDF-1.4 hello", "只支持 JPG、PNG、GIF、WEBP 图片和 MP4 视频"),
    ("evil.png", b"<script>alert(1)</script>", "文件内容不是有效的图片"),
    ("photo.jpg", png(fmt="BMP"), "只支持 JPG、PNG、GIF、WEBP 格式的图片"),  # a BMP as .jpg
    ("clip.mp4", b"not a video at all", "文件内容不是有效的 MP4 视频"),
    ("empty.png", b"", "上传的文件是空文件"),
])
def test_bad_uploads_are_refused_in_chinese_and_store_nothing(app, login_as, name, data, message):
    from app.models.media import MediaFile
    from app.tenancy import tenant_scope

    a = merchant_id(app, "鲜果时光")
    with app.app_context(), tenant_scope(a):
        before = _db().session.query(MediaFile).count()
    client = login_as("owner_a")
    response = upload(client, name, data)
    assert response.status_code == 422
    assert message in response.get_json()["errors"][0]
    with app.app_context(), tenant_scope(a):
        assert _db().session.query(MediaFile).count() == before


def test_mp4_upload_has_its_own_limit(app, login_as):
    client = login_as("owner_a")
    mp4 = b"\x00\x00\x00\x18ftypmp42" + b"\x00" * 3 * 1024 * 1024  # 3 MB: over the image limit
    response = upload(client, "intro.mp4", mp4)
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["files"][0]["kind"] == "video"


def test_files_are_isolated_between_merchants(app, login_as):
    owner_a, owner_b = login_as("owner_a"), login_as("owner_b")
    file = upload(owner_a, "a_only.png", png()).get_json()["files"][0]
    assert owner_b.get(file["preview"]).status_code == 404
    assert owner_b.get(f"/mediaview/edit/{file['id']}").status_code == 404
    listing = owner_b.get("/mediaview/picker?kind=image").get_json()
    assert file["id"] not in [f["id"] for f in listing["files"]]
    assert file["id"] in [f["id"] for f in owner_a.get("/mediaview/picker").get_json()["files"]]
    assert app.test_client().get("/api/v1/media/" + "x" * 32).status_code == 404


def test_groups_rename_and_move(app, login_as):
    from app.models.media import MediaFile, MediaGroup
    from app.tenancy import tenant_scope

    client = login_as("owner_a")
    response = client.post("/mediagroupview/add", data={"name": "商品主图", "sort": 1,
                                                        "csrf_token": client.csrf()})
    assert response.status_code == 302
    a = merchant_id(app, "鲜果时光")
    with app.app_context(), tenant_scope(a):
        group = _db().session.execute(select(MediaGroup).where(
            MediaGroup.name == "商品主图")).scalar()
        group_id = group.id
    file = upload(client, "g.png", png(), str(group_id)).get_json()["files"][0]
    response = client.post(f"/mediaview/edit/{file['id']}", data={
        "name": "新名字.png", "group": "", "csrf_token": client.csrf()})
    assert response.status_code == 302
    with app.app_context(), tenant_scope(a):
        row = _db().session.get(MediaFile, file["id"])
        assert row.name == "新名字.png" and row.group_id is None
    picked = client.get(f"/mediaview/picker?group={group_id}").get_json()
    assert file["id"] not in [f["id"] for f in picked["files"]]
    # another merchant's group cannot receive uploads
    owner_b = login_as("owner_b")
    refused = upload(owner_b, "b.png", png(), str(group_id))
    assert refused.status_code == 422 and refused.get_json()["errors"] == ["分组不存在"]


def test_deleting_a_file_in_use_is_refused_and_names_the_page(app, login_as):
    from app.models.media import MediaFile
    from app.models.shop import Shop
    from app.tenancy import tenant_scope

    client = login_as("owner_a")
    file = upload(client, "banner.png", png()).get_json()["files"][0]
    a = merchant_id(app, "鲜果时光")
    with app.app_context(), tenant_scope(a):
        shop = _db().session.execute(select(Shop.id).order_by(Shop.id)).scalars().first()
    response = client.post("/pageview/new", data={"shop_id": shop, "title": "轮播页",
                                                  "csrf_token": client.csrf()})
    pk = int(response.location.rstrip("/").rsplit("/", 1)[1])
    document = {"title": "轮播页", "bg_color": "#FFFFFF", "components": [
        {"type": "banner", "settings": {"images": [{"image": file["url"]}]}}]}
    saved = client.post(f"/pageview/save/{pk}", data=json.dumps({"document": document}),
                        content_type="application/json", headers={"X-CSRFToken": client.csrf()})
    assert saved.get_json()["ok"], saved.get_json()
    response = client.post(f"/mediaview/delete/{file['id']}", data={"csrf_token": client.csrf()},
                           follow_redirects=True)
    html = response.get_data(as_text=True)
    assert "正在使用中，不能删除" in html and "装修页面《轮播页》（草稿）" in html
    with app.app_context(), tenant_scope(a):
        assert _db().session.get(MediaFile, file["id"]) is not None
    # unused files delete, with their stored files
    spare = upload(client, "spare.png", png()).get_json()["files"][0]
    client.post(f"/mediaview/delete/{spare['id']}", data={"csrf_token": client.csrf()})
    with app.app_context(), tenant_scope(a):
        assert _db().session.get(MediaFile, spare["id"]) is None
    assert app.test_client().get(spare["url"]).status_code == 404


def test_library_page_lists_with_upload_form(login_as):
    client = login_as("owner_a")
    upload(client, "列表.png", png())
    html = client.get("/mediaview/list/").get_data(as_text=True)
    assert "上传素材" in html and "列表.png" in html and "md-thumb" in html


# -- the picker in image or video mode (issue #7) --------------------------------------------
MP4 = b"\x00\x00\x00\x18ftypmp42" + b"\x00" * 64


def test_a_picker_in_one_mode_uploads_and_lists_only_that_kind(app, login_as):
    """The dialog posts &kind=video (or image): the other kind is refused before anything
    is stored, and the list of each mode holds only its kind; groups come with the list."""
    from app.models.media import MediaFile, MediaGroup
    from app.tenancy import tenant_scope

    client = login_as("owner_a")
    a = merchant_id(app, "鲜果时光")
    with app.app_context(), tenant_scope(a):
        group = MediaGroup(name="视频分组七号", sort=1)
        _db().session.add(group)
        _db().session.commit()
        group_id = group.id
        before = _db().session.query(MediaFile).count()

    def post(kind, name, data, group=""):
        return client.post(f"/mediaview/upload?format=json&kind={kind}", data={
            "file": (io.BytesIO(data), name), "group_id": group},
            content_type="multipart/form-data", headers={"X-CSRFToken": client.csrf()})

    refused = post("video", "不是视频.png", png())
    assert refused.status_code == 422
    assert "这里只能上传 MP4 视频" in refused.get_json()["errors"][0]
    refused = post("image", "不是图片.mp4", MP4)
    assert refused.status_code == 422
    assert "这里只能上传 JPG、PNG、GIF、WEBP 格式的图片" in refused.get_json()["errors"][0]
    with app.app_context(), tenant_scope(a):
        assert _db().session.query(MediaFile).count() == before
    video = post("video", "模式视频.mp4", MP4, str(group_id))
    assert video.status_code == 200, video.get_json()
    video = video.get_json()["files"][0]
    image = post("image", "模式图片.png", png()).get_json()["files"][0]
    assert video["kind"] == "video" and image["kind"] == "image"

    videos = client.get("/mediaview/picker?kind=video").get_json()
    assert {f["kind"] for f in videos["files"]} == {"video"}
    assert video["id"] in [f["id"] for f in videos["files"]]
    assert image["id"] not in [f["id"] for f in videos["files"]]
    assert {"id": group_id, "name": "视频分组七号"} in videos["groups"]
    in_group = client.get(f"/mediaview/picker?kind=video&group={group_id}").get_json()
    assert [f["id"] for f in in_group["files"]] == [video["id"]]
    assert app.test_client().get(video["url"]).data == MP4
