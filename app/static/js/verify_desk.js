/* 核销台: scan the order's QR code with the device camera and submit its code.
 * BarcodeDetector (Chrome on Android, macOS...) when the browser has it, else jsQR on
 * canvas frames when the vendor file is installed; typing the code always works. */
(function () {
  var button = document.getElementById('md-scan');
  if (!button) { return; }
  var texts = document.getElementById('md-verify-texts').dataset;
  var box = document.getElementById('md-scanner');
  var video = document.getElementById('md-video');
  var message = document.getElementById('md-scan-message');
  var input = document.getElementById('md-code');
  var form = document.getElementById('md-code-form');
  var stream = null;
  var timer = null;

  function say(text) { message.textContent = text; message.hidden = false; }

  function stop() {
    if (timer) { clearTimeout(timer); timer = null; }
    if (stream) { stream.getTracks().forEach(function (t) { t.stop(); }); stream = null; }
    box.hidden = true;
  }

  function found(text) {
    stop();
    input.value = text;
    form.submit();
  }

  function decoder() {
    if ('BarcodeDetector' in window) {
      var detector = new window.BarcodeDetector({formats: ['qr_code']});
      return function () {
        return detector.detect(video).then(function (codes) {
          return codes.length ? codes[0].rawValue : null;
        });
      };
    }
    if (typeof window.jsQR === 'function') {
      var canvas = document.createElement('canvas');
      var ctx = canvas.getContext('2d', {willReadFrequently: true});
      return function () {
        var w = video.videoWidth, h = video.videoHeight;
        if (!w || !h) { return Promise.resolve(null); }
        canvas.width = w; canvas.height = h;
        ctx.drawImage(video, 0, 0, w, h);
        var result = window.jsQR(ctx.getImageData(0, 0, w, h).data, w, h);
        return Promise.resolve(result ? result.data : null);
      };
    }
    return null;
  }

  button.addEventListener('click', function () {
    message.hidden = true;
    if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
      say(texts.noCamera); input.focus(); return;
    }
    var detect = decoder();
    if (!detect) { say(texts.noDecoder); input.focus(); return; }
    navigator.mediaDevices.getUserMedia({video: {facingMode: 'environment'}, audio: false})
      .then(function (s) {
        stream = s;
        video.srcObject = s;
        box.hidden = false;
        return video.play();
      })
      .then(function loop() {
        if (!stream) { return; }
        detect().then(function (text) {
          if (text) { found(text); } else { timer = setTimeout(loop, 250); }
        }, function () { timer = setTimeout(loop, 500); });
      })
      .catch(function () { stop(); say(texts.denied); input.focus(); });
  });
  document.getElementById('md-scan-stop').addEventListener('click', stop);
})();
