"""素材库 on S3-compatible object storage (MEDIA_STORAGE=s3), against a real S3 server on
loopback: moto's server mode (ThreadedMotoServer), spoken to by boto3 over HTTP exactly as a
Tencent COS or MinIO endpoint would be. The same guarantees as local disk: the merchant
prefix, files served only to their own merchant, the public token URL, thumbnails, delete
(refused while in use), and Chinese refusals that save nothing when storage is broken."""
import io
import json
import os
import socket

import boto3
import pytest
from PIL import Image
from sqlalchemy import select

from tests.conftest import merchant_id

BUCKET = "md-media-test"
KEY_ID, SECRET = "AKIDMDTEST", "md-test-secret-key"


def _db():
    from app.extensions import db

    return db


def png(size=(320, 200), color="orange"):
    stream = io.BytesIO()
    Image.new("RGB", size, color).save(stream, format="PNG")
    return stream.getvalue()


def upload(client, name, data):
    return client.post("/mediaview/upload?format=json", data={"file": (io.BytesIO(data), name)},
                       content_type="multipart/form-data", headers={"X-CSRFToken": client.csrf()})


@pytest.fixture(scope="module")
def s3_server():
    """A real S3 endpoint on 127.0.0.1 (a free port), with an empty private bucket."""
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    client = boto3.session.Session().client(
        "s3", endpoint_url=endpoint, region_name="us-east-1", aws_access_key_id=KEY_ID,
        aws_secret_access_key=SECRET)
    client.create_bucket(Bucket=BUCKET)
    try:
        yield endpoint, client
    finally:
        server.stop()


@pytest.fixture()
def s3_config(app, s3_server):
    """The session app switched to MEDIA_STORAGE=s3 for one test, then switched back."""
    endpoint, client = s3_server
    settings = {"MEDIA_STORAGE": "s3", "MEDIA_S3_ENDPOINT": endpoint,
                "MEDIA_S3_BUCKET": BUCKET, "MEDIA_S3_REGION": "us-east-1",
                "MEDIA_S3_ACCESS_KEY_ID": KEY_ID, "MEDIA_S3_SECRET_ACCESS_KEY": SECRET}
    saved = {k: app.config.get(k) for k in settings}
    app.config.update(settings)
    try:
        yield client
    finally:
        app.config.update(saved)


def objects(client, prefix=""):
    found = client.list_objects_v2(Bucket=BUCKET, Prefix=prefix)
    return {o["Key"] for o in found.get("Contents", [])}


def local_files(app):
    folder = app.config.get("MEDIA_FOLDER") or os.path.join(app.config["UPLOAD_FOLDER"], "media")
    return {os.path.join(d, f) for d, _, files in os.walk(folder) for f in files}


def test_upload_goes_to_the_bucket_under_the_merchant_prefix(app, login_as, s3_config):
    from app.models.media import MediaFile
    from app.tenancy import tenant_scope

    before_local = local_files(app)
    owner_a, owner_b = login_as("owner_a"), login_as("owner_b")
    response = upload(owner_a, "云端.png", png())
    assert response.status_code == 200, response.get_json()
    file = response.get_json()["files"][0]
    a = merchant_id(app, "鲜果时光")
    with app.app_context(), tenant_scope(a):
        row = _db().session.get(MediaFile, file["id"])
        keys = {row.storage_key, row.thumb_key}
    assert all(k.startswith(f"m{a}/") for k in keys)
    assert keys <= objects(s3_config, f"m{a}/")
    head = s3_config.head_object(Bucket=BUCKET, Key=row.storage_key)
    assert head["ContentType"] == "image/png"
    assert local_files(app) == before_local  # nothing written to local disk
    # the merchant sees the file and its thumbnail (made by Pillow, stored in the bucket)
    preview = owner_a.get(file["preview"])
    assert preview.status_code == 200 and preview.data == png()
    thumb = owner_a.get(file["thumb"])
    assert thumb.status_code == 200 and thumb.mimetype == "image/png"
    assert max(Image.open(io.BytesIO(thumb.data)).size) <= 240
    # another merchant gets nothing, not even by id
    assert owner_b.get(file["preview"]).status_code == 404
    assert owner_b.get(file["thumb"]).status_code == 404
    # shoppers reach it only through the unguessable token URL, without a login
    anonymous = app.test_client()
    public = anonymous.get(file["url"])
    assert public.status_code == 200 and public.data == png()
    assert anonymous.get(file["url"] + "/thumb").mimetype == "image/png"
    assert anonymous.get("/api/v1/media/" + "A" * 32).status_code == 404
    assert anonymous.get(file["preview"]).status_code in (302, 401, 403)


def test_delete_removes_the_objects_and_a_used_file_stays(app, login_as, s3_config):
    from app.models.media import MediaFile
    from app.models.shop import Shop
    from app.tenancy import tenant_scope

    client = login_as("owner_a")
    a = merchant_id(app, "鲜果时光")
    spare = upload(client, "spare.png", png(color="green")).get_json()["files"][0]
    with app.app_context(), tenant_scope(a):
        row = _db().session.get(MediaFile, spare["id"])
        spare_keys = {row.storage_key, row.thumb_key}
    assert spare_keys <= objects(s3_config)
    client.post(f"/mediaview/delete/{spare['id']}", data={"csrf_token": client.csrf()})
    with app.app_context(), tenant_scope(a):
        assert _db().session.get(MediaFile, spare["id"]) is None
    assert not spare_keys & objects(s3_config)
    assert app.test_client().get(spare["url"]).status_code == 404
    # a file used by a page is refused, names the page, and keeps its objects
    used = upload(client, "used.png", png(color="red")).get_json()["files"][0]
    with app.app_context(), tenant_scope(a):
        shop = _db().session.execute(select(Shop.id).order_by(Shop.id)).scalars().first()
        used_keys = {k for k in (_db().session.get(MediaFile, used["id"]).storage_key,)}
    response = client.post("/pageview/new", data={"shop_id": shop, "title": "云端页",
                                                  "csrf_token": client.csrf()})
    pk = int(response.location.rstrip("/").rsplit("/", 1)[1])
    document = {"title": "云端页", "bg_color": "#FFFFFF", "components": [
        {"type": "banner", "settings": {"images": [{"image": used["url"]}]}}]}
    saved = client.post(f"/pageview/save/{pk}", data=json.dumps({"document": document}),
                        content_type="application/json", headers={"X-CSRFToken": client.csrf()})
    assert saved.get_json()["ok"], saved.get_json()
    html = client.post(f"/mediaview/delete/{used['id']}", data={"csrf_token": client.csrf()},
                       follow_redirects=True).get_data(as_text=True)
    assert "正在使用中，不能删除" in html and "装修页面《云端页》（草稿）" in html
    assert used_keys <= objects(s3_config)
    assert app.test_client().get(used["url"]).status_code == 200


def test_an_object_missing_from_the_bucket_is_404(app, login_as, s3_config):
    from app.models.media import MediaFile
    from app.tenancy import tenant_scope

    client = login_as("owner_a")
    file = upload(client, "gone.png", png()).get_json()["files"][0]
    with app.app_context(), tenant_scope(merchant_id(app, "鲜果时光")):
        key = _db().session.get(MediaFile, file["id"]).storage_key
    s3_config.delete_object(Bucket=BUCKET, Key=key)
    assert client.get(file["preview"]).status_code == 404
    assert app.test_client().get(file["url"]).status_code == 404


def _free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.mark.parametrize("change, message", [
    ({"MEDIA_S3_BUCKET": ""}, "对象存储未配置完整，缺少 MEDIA_S3_BUCKET"),
    ({"MEDIA_S3_SECRET_ACCESS_KEY": ""}, "对象存储未配置完整，缺少 MEDIA_S3_SECRET_ACCESS_KEY"),
    ({"MEDIA_STORAGE": "ftp"}, "不支持的素材存储方式 ftp"),
    ({"MEDIA_S3_ENDPOINT": "http://127.0.0.1:%d" % _free_port()}, "素材存储暂时不可用，请稍后重试"),
    ({"MEDIA_S3_BUCKET": "no-such-bucket"}, "素材存储暂时不可用，请稍后重试"),
])
def test_broken_storage_is_refused_in_chinese_and_saves_nothing(app, login_as, s3_config,
                                                                change, message):
    from app.models.media import MediaFile
    from app.tenancy import tenant_scope

    a = merchant_id(app, "鲜果时光")
    with app.app_context(), tenant_scope(a):
        before = _db().session.query(MediaFile).count()
    stored_before = objects(s3_config)
    app.config.update(change)
    response = upload(login_as("owner_a"), "坏配置.png", png())
    assert response.status_code == 422
    errors = response.get_json()["errors"]
    assert message in errors[0], errors
    assert SECRET not in json.dumps(errors, ensure_ascii=False)
    with app.app_context(), tenant_scope(a):
        assert _db().session.query(MediaFile).count() == before
    assert objects(s3_config) == stored_before


def test_keys_outside_a_merchant_prefix_are_refused(s3_config):
    from app.services.media import MediaError, S3Storage

    storage = S3Storage(bucket=BUCKET, client=s3_config)
    for key in ("../m1/x.png", "m1/../m2/x.png", "/m1/x.png", "x.png", "m1//x.png"):
        with pytest.raises(MediaError):
            storage.put(key, b"data", "image/png")
    storage.put("m999999/202601/t.png", b"data", "image/png")
    assert storage.open("m999999/202601/t.png").read() == b"data"
    assert storage.open("m999999/202601/none.png") is None
    storage.delete("m999999/202601/t.png")
    storage.delete("m999999/202601/t.png")  # deleting twice is not an error
    assert storage.open("m999999/202601/t.png") is None
