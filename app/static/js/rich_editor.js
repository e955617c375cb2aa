/* 商品描述: a Quill rich-text editor over the description textarea.
 * The textarea stays the submitted field (the server sanitises it with nh3 on save);
 * without the vendor file (make install not run) the textarea is used as is and a Chinese
 * notice says why. Images are inserted by http(s) address: pasted data: images would be
 * removed by the sanitiser, so the image button asks for an address instead. */
/* With data-media-config on the textarea (JSON of app/admin/media_field.py) and
 * media_picker.js loaded, images come from the merchant's 素材库 instead: the image button
 * opens the library picker (choose or upload), and without Quill a "插入素材库图片" button
 * (#rich-editor-media) inserts an <img> of the chosen file at the cursor. */
(function () {
  var area = document.querySelector('textarea[data-rich-editor]');
  if (!area) return;
  var missing = document.getElementById('rich-editor-missing');
  var mediaConfig = area.getAttribute('data-media-config');
  mediaConfig = mediaConfig && window.MDMediaPicker ? JSON.parse(mediaConfig) : null;
  function escapeAttr(text) {
    return String(text).replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
  }
  if (typeof window.Quill === 'undefined') {
    if (missing) missing.style.display = '';
    var plainButton = document.getElementById('rich-editor-media');
    if (plainButton && mediaConfig) {
      plainButton.style.display = '';
      plainButton.addEventListener('click', function () {
        var start = area.selectionStart, end = area.selectionEnd;
        window.MDMediaPicker.open(mediaConfig, 'image', function (file) {
          var tag = '<img src="' + escapeAttr(file.url) + '" alt="' + escapeAttr(file.name) + '">';
          var at = typeof start === 'number' ? start : area.value.length;
          area.value = area.value.slice(0, at) + tag + area.value.slice(typeof end === 'number' ? end : at);
          area.focus();
        });
      });
    }
    return;
  }
  var holder = document.createElement('div');
  holder.className = 'md-rich-editor';
  area.parentNode.insertBefore(holder, area);
  var quill = new window.Quill(holder, {
    theme: 'snow',
    placeholder: area.getAttribute('data-placeholder') || '',
    modules: {
      toolbar: {
        container: [[{header: [2, 3, false]}], ['bold', 'italic', 'underline', 'strike'],
                    [{list: 'ordered'}, {list: 'bullet'}], ['blockquote', 'link', 'image'],
                    ['clean']],
        handlers: {
          image: function () {
            if (mediaConfig) {
              var at = quill.getSelection(true);
              window.MDMediaPicker.open(mediaConfig, 'image', function (file) {
                quill.insertEmbed(at ? at.index : quill.getLength() - 1, 'image', file.url, 'user');
              });
              return;
            }
            var url = window.prompt(area.getAttribute('data-image-prompt'));
            if (!url) return;
            if (!/^https?:\/\//i.test(url)) { window.alert(area.getAttribute('data-image-invalid')); return; }
            var range = quill.getSelection(true);
            quill.insertEmbed(range.index, 'image', url, 'user');
          }
        }
      }
    }
  });
  if (area.value) quill.clipboard.dangerouslyPasteHTML(0, area.value, 'silent');
  area.style.display = 'none';
  var source = false;
  function sync() {
    if (source) return;  // the textarea is being edited directly
    area.value = quill.getLength() > 1 ? quill.getSemanticHTML() : '';
  }
  quill.on('text-change', sync);
  area.form.addEventListener('submit', sync);
  var toggle = document.getElementById('rich-editor-source');
  if (toggle) {
    toggle.style.display = '';
    toggle.addEventListener('click', function () {
      if (!source) { sync(); source = true; }
      else {
        source = false;
        quill.setContents([], 'silent');
        quill.clipboard.dangerouslyPasteHTML(0, area.value, 'silent');
        sync();
      }
      area.style.display = source ? '' : 'none';
      holder.style.display = source ? 'none' : '';
      quill.getModule('toolbar').container.style.display = source ? 'none' : '';
      toggle.textContent = source ? toggle.getAttribute('data-editor') : toggle.getAttribute('data-source');
    });
  }
})();
