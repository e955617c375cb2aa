/* 商品描述: a Quill rich-text editor over the description textarea.
 * The textarea stays the submitted field (the server sanitises it with nh3 on save);
 * without the vendor file (make install not run) the textarea is used as is and a Chinese
 * notice says why. Images are inserted by http(s) address: pasted data: images would be
 * removed by the sanitiser, so the image button asks for an address instead. */
/* With data-media-config on the textarea (JSON of app/admin/media_field.py) and
 * media_picker.js loaded, images come from the merchant's 素材库 instead: the image button
 * opens the library picker (choose or upload), and without Quill a "插入素材库图片" button
 * (#rich-editor-media) inserts an <img> of the chosen file at the cursor.
 * With data-media-video="1" as well (文章详情, 关于商城), a video button inserts an MP4 of the
 * library (the same picker in video mode, upload allowed) as <video src controls>; without
 * Quill, "插入素材库视频" (#rich-editor-video) inserts the same tag into the textarea. The
 * server keeps a <video> only when its src is the merchant's own library file. */
(function () {
  var area = document.querySelector('textarea[data-rich-editor]');
  if (!area) return;
  var missing = document.getElementById('rich-editor-missing');
  var mediaConfig = area.getAttribute('data-media-config');
  mediaConfig = mediaConfig && window.MDMediaPicker ? JSON.parse(mediaConfig) : null;
  var videos = !!mediaConfig && area.getAttribute('data-media-video') === '1';
  function escapeAttr(text) {
    return String(text).replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
  }
  function insertIntoArea(kind, tagFor) {
    var start = area.selectionStart, end = area.selectionEnd;
    window.MDMediaPicker.open(mediaConfig, kind, function (file) {
      var tag = tagFor(file);
      var at = typeof start === 'number' ? start : area.value.length;
      area.value = area.value.slice(0, at) + tag + area.value.slice(typeof end === 'number' ? end : at);
      area.focus();
    });
  }
  if (typeof window.Quill === 'undefined') {
    if (missing) missing.style.display = '';
    var plainButton = document.getElementById('rich-editor-media');
    if (plainButton && mediaConfig) {
      plainButton.style.display = '';
      plainButton.addEventListener('click', function () {
        insertIntoArea('image', function (file) {
          return '<img src="' + escapeAttr(file.url) + '" alt="' + escapeAttr(file.name) + '">';
        });
      });
    }
    var plainVideo = document.getElementById('rich-editor-video');
    if (plainVideo && videos) {
      plainVideo.style.display = '';
      plainVideo.addEventListener('click', function () {
        insertIntoArea('video', function (file) {
          return '<video src="' + escapeAttr(file.url) + '" controls></video>';
        });
      });
    }
    return;
  }
  if (videos) {
    // <video src controls>: Quill's own "video" format is an <iframe>, which the server strips.
    var BlockEmbed = window.Quill.import('blots/block/embed');
    var LibraryVideo = class extends BlockEmbed {
      static create(value) {
        var node = super.create(value);
        node.setAttribute('src', value);
        node.setAttribute('controls', '');
        return node;
      }
      static value(node) { return node.getAttribute('src'); }
    };
    LibraryVideo.blotName = 'libraryVideo';
    LibraryVideo.tagName = 'VIDEO';
    window.Quill.register(LibraryVideo, true);
  }
  var toolbarItems = [[{header: [2, 3, false]}], ['bold', 'italic', 'underline', 'strike'],
                      [{list: 'ordered'}, {list: 'bullet'}], ['blockquote', 'link', 'image'],
                      ['clean']];
  if (videos) { toolbarItems[3].push('libraryVideo'); }
  var holder = document.createElement('div');
  holder.className = 'md-rich-editor';
  area.parentNode.insertBefore(holder, area);
  var quill = new window.Quill(holder, {
    theme: 'snow',
    placeholder: area.getAttribute('data-placeholder') || '',
    modules: {
      toolbar: {
        container: toolbarItems,
        handlers: {
          libraryVideo: function () {
            var at = quill.getSelection(true);
            window.MDMediaPicker.open(mediaConfig, 'video', function (file) {
              quill.insertEmbed(at ? at.index : quill.getLength() - 1, 'libraryVideo', file.url, 'user');
            });
          },
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
  if (videos) {
    var videoButton = quill.getModule('toolbar').container.querySelector('button.ql-libraryVideo');
    if (videoButton) {
      videoButton.innerHTML = '<i class="fa fa-film"></i>';
      videoButton.setAttribute('title', area.getAttribute('data-video-title') || '');
      videoButton.setAttribute('aria-label', area.getAttribute('data-video-title') || '');
    }
  }
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
