"""A loopback fake of Tencent Cloud IAI ``DetectFace`` (API 2020-03-03) that speaks the real
protocol: JSON over POST, TC3-HMAC-SHA256 signed requests. It recomputes the signature itself
(from the TC3 specification, not the SDK's code) with the secret key it knows for the
request's SecretId, checks the timestamp window, the action, the version and the service, and
answers in the real response shapes, errors included (``{"Response": {"Error": ...}}``).

The faces are real: the fake decodes the base64 image and counts faces with dlib's detector,
so a photo with no face gets ``FailedOperation.ImageFacedetectFailed`` and two people give two
``FaceInfos``. Their attributes (Beauty, Age, Gender 0-49 female / 50-100 male) come from
``fake.attributes``, the values the real service would have measured.
``fake.error = "<Code>"`` answers that error; ``fake.requests`` records what it accepted.
"""
import base64
import hashlib
import hmac
import io
import json
import threading
import time
import uuid
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

SERVICE = "iai"
VERSION = "2020-03-03"


def _hmac(key, message):
    return hmac.new(key, message.encode("utf-8"), hashlib.sha256).digest()


def tc3_signature(secret_key, *, method, path, query, content_type, host, payload, timestamp,
                  service=SERVICE):
    """The TC3-HMAC-SHA256 signature as Tencent Cloud's API documentation defines it."""
    date = datetime.fromtimestamp(int(timestamp), tz=timezone.utc).strftime("%Y-%m-%d")
    canonical = "\n".join([method, path, query, f"content-type:{content_type}\nhost:{host}\n",
                           "content-type;host", hashlib.sha256(payload).hexdigest()])
    scope = f"{date}/{service}/tc3_request"
    to_sign = "\n".join(["TC3-HMAC-SHA256", str(timestamp), scope,
                         hashlib.sha256(canonical.encode("utf-8")).hexdigest()])
    key = _hmac(_hmac(_hmac(("TC3" + secret_key).encode("utf-8"), date), service),
                "tc3_request")
    return hmac.new(key, to_sign.encode("utf-8"), hashlib.sha256).hexdigest(), date


_detector = []


def count_faces(image_bytes):
    import dlib
    import numpy as np
    from PIL import Image

    if not _detector:
        _detector.append(dlib.get_frontal_face_detector())
    with Image.open(io.BytesIO(image_bytes)) as image:
        pixels = np.ascontiguousarray(np.asarray(image.convert("RGB")))
    rects, scores, _kinds = _detector[0].run(pixels, 0, 0.0)
    return [r for r, s in zip(rects, scores) if s >= 0.25]


class FakeTencentIai:
    def __init__(self, keys):
        self.keys = dict(keys)          # SecretId -> SecretKey
        self.attributes = {"Beauty": 87, "Age": 26, "Gender": 12}
        self.error = None
        self.requests = []
        self.rejected = []
        self.lock = threading.Lock()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.host = f"127.0.0.1:{self.server.server_address[1]}"
        self.endpoint = f"http://{self.host}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def start(self):
        self.thread.start()
        return self

    def stop(self):
        self.server.shutdown()
        self.server.server_close()

    def reset(self):
        with self.lock:
            self.attributes = {"Beauty": 87, "Age": 26, "Gender": 12}
            self.error = None
            self.requests.clear()
            self.rejected.clear()

    # -- protocol ------------------------------------------------------------------------
    @staticmethod
    def _error(code, message):
        return {"Response": {"Error": {"Code": code, "Message": message},
                             "RequestId": str(uuid.uuid4())}}

    def _check_signature(self, method, path, headers, body):
        auth = headers.get("Authorization", "")
        if not auth.startswith("TC3-HMAC-SHA256 "):
            return self._error("AuthFailure.InvalidAuthorization", "Authorization is invalid")
        parts = dict(p.strip().split("=", 1) for p in auth[len("TC3-HMAC-SHA256 "):].split(","))
        secret_id, date, service, terminal = (parts.get("Credential", "") + "////").split("/")[:4]
        if secret_id not in self.keys:
            return self._error("AuthFailure.SecretIdNotFound", "The SecretId is not found")
        if parts.get("SignedHeaders") != "content-type;host" or service != SERVICE \
                or terminal != "tc3_request":
            return self._error("AuthFailure.InvalidAuthorization", "Authorization is invalid")
        timestamp = headers.get("X-TC-Timestamp", "")
        if not timestamp.isdigit() or abs(int(timestamp) - time.time()) > 300:
            return self._error("AuthFailure.SignatureExpire", "Signature expired")
        expected, expected_date = tc3_signature(
            self.keys[secret_id], method=method, path=path, query="",
            content_type=headers.get("Content-Type", ""), host=headers.get("Host", ""),
            payload=body, timestamp=timestamp)
        if date != expected_date or not hmac.compare_digest(expected, parts.get("Signature", "")):
            return self._error("AuthFailure.SignatureFailure", "The provided credentials "
                               "could not be validated")
        return None

    def _answer(self, method, path, headers, body):
        problem = self._check_signature(method, path, headers, body)
        if problem:
            self.rejected.append(headers.get("Authorization", ""))
            return problem
        if headers.get("X-TC-Action") != "DetectFace":
            return self._error("InvalidAction", "The action does not exist")
        if headers.get("X-TC-Version") != VERSION:
            return self._error("InvalidParameter", "version")
        if self.error:
            return self._error(self.error, "refused by the fake")
        data = json.loads(body)
        try:
            image = base64.b64decode(data.get("Image") or "", validate=True)
        except ValueError:
            return self._error("FailedOperation.ImageDecodeFailed", "image decode failed")
        if len(data.get("Image") or "") > 5 * 1024 * 1024:
            return self._error("FailedOperation.ImageSizeExceed", "image size exceed")
        try:
            faces = count_faces(image)
        except Exception:  # noqa: BLE001 - any undecodable image
            return self._error("FailedOperation.ImageDecodeFailed", "image decode failed")
        if not faces:
            return self._error("FailedOperation.ImageFacedetectFailed", "face detect failed")
        faces = faces[:int(data.get("MaxFaceNum") or 1)]
        self.requests.append({"headers": dict(headers), "params": {
            k: v for k, v in data.items() if k != "Image"}, "faces": len(faces)})
        attributes = dict(self.attributes) if data.get("NeedFaceAttributes") == 1 else {}
        return {"Response": {
            "ImageWidth": 0, "ImageHeight": 0, "FaceModelVersion": "3.0",
            "FaceInfos": [{"X": f.left(), "Y": f.top(), "Width": f.width(),
                           "Height": f.height(),
                           "FaceAttributesInfo": {"Gender": attributes.get("Gender", 0),
                                                  "Age": attributes.get("Age", 0),
                                                  "Beauty": attributes.get("Beauty", 0),
                                                  "Expression": 10, "Glass": False,
                                                  "Pitch": 0, "Yaw": 0, "Roll": 0,
                                                  "Hat": False, "Mask": False}}
                          for f in faces],
            "RequestId": str(uuid.uuid4())}}

    def _handler(self):
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                with fake.lock:
                    payload = fake._answer("POST", self.path, self.headers, body)
                data = json.dumps(payload).encode("utf-8")
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        return Handler
