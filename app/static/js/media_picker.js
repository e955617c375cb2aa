/* 素材库 picker for any form: choose a file of the merchant's media library, or upload one
 * into it, without leaving the page. Plain script, no library.
 *
 *   window.MDMediaPicker.open(config, kind, onPick)
 *     config: {list, upload, csrf, texts}  (JSON rendered by app/admin/media_field.py)
 *     kind:   'image' or 'video'; onPick(file) gets {id, name, url, thumb, kind}.
 *   In video mode the dialog lists and uploads MP4 files only (the upload is posted with
 *   &kind=video, so the server refuses anything else); a group selector filters the files
 *   and receives the uploads.  The page builder, the rich-text editor and every MediaField
 *   use this one dialog.
 *
 * Every element with class "md-media-pick" (the MediaField widget) is wired here: its hidden
 * input receives the file's library URL (/api/v1/media/<token>), which the server checks
 * again on save (the merchant's own file, of the right kind). */
(function () {
  'use strict';
  if (window.MDMediaPicker) { return; }

  var modal = null, state = {};

  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) {
      if (k === 'text') { node.textContent = attrs[k]; }
      else if (k === 'cls') { node.className = attrs[k]; }
      else if (k.indexOf('on') === 0) { node.addEventListener(k.slice(2), attrs[k]); }
      else { node.setAttribute(k, attrs[k]); }
    });
    (children || []).forEach(function (c) { if (c) { node.appendChild(c); } });
    return node;
  }

  function style() {
    if (document.getElementById('md-mp-style')) { return; }
    var css = '.md-mp{position:fixed;inset:0;background:rgba(0,0,0,.45);z-index:2000;display:flex;align-items:center;justify-content:center}' +
      '.md-mp-box{background:#fff;border-radius:4px;width:min(760px,96vw);max-height:90vh;overflow:auto;padding:12px 16px}' +
      '.md-mp-bar{display:flex;flex-wrap:wrap;gap:8px;align-items:center;margin-bottom:8px}' +
      '.md-mp-grid{display:grid;grid-template-columns:repeat(auto-fill,minmax(110px,1fr));gap:8px}' +
      '.md-mp-item{border:1px solid #ddd;background:#fafafa;padding:4px;text-align:center;cursor:pointer;overflow:hidden}' +
      '.md-mp-item:hover,.md-mp-item:focus{border-color:#337ab7}' +
      '.md-mp-item img{width:100%;height:90px;object-fit:contain;display:block}' +
      '.md-mp-item small{display:block;white-space:nowrap;overflow:hidden;text-overflow:ellipsis}' +
      '.md-mp-video{display:block;height:90px;line-height:90px;font-size:28px}' +
      '.md-mp-group{width:auto;max-width:180px}' +
      '.md-media-pick-preview{max-height:80px;max-width:160px;margin-right:8px;border:1px solid #eee}';
    document.head.appendChild(el('style', {id: 'md-mp-style', text: css}));
  }

  function t(key) { return (state.config.texts || {})[key] || key; }
  function message(text, bad) {
    var box = modal.querySelector('.md-mp-msg');
    box.textContent = text || '';
    box.className = 'md-mp-msg ' + (bad ? 'text-danger' : 'text-muted');
  }

  function getJSON(response) {
    if (response.status === 401 || response.status === 403 || response.redirected) {
      throw new Error(t('denied'));
    }
    return response.json().catch(function () { throw new Error(t('failed')); });
  }

  function load(more) {
    var grid = modal.querySelector('.md-mp-grid');
    state.page = more ? state.page + 1 : 1;
    var url = state.config.list + '?kind=' + encodeURIComponent(state.kind) + '&page=' + state.page +
      '&q=' + encodeURIComponent(modal.querySelector('.md-mp-search').value || '') +
      '&group=' + encodeURIComponent(modal.querySelector('.md-mp-group').value || '');
    fetch(url, {credentials: 'same-origin', headers: {'Accept': 'application/json'}})
      .then(getJSON).then(function (data) {
        if (!more) { grid.innerHTML = ''; groups(data.groups || []); }
        if (!more && !data.files.length) { grid.appendChild(el('p', {cls: 'text-muted', text: t('empty')})); }
        data.files.forEach(function (f) {
          grid.appendChild(el('button', {type: 'button', cls: 'md-mp-item', title: f.name,
            'data-id': f.id, onclick: function () { pick(f); }},
            [f.kind === 'image' ? el('img', {src: f.thumb, alt: f.name}) : el('span', {cls: 'md-mp-video', text: '▶'}),
             el('small', {text: f.name})]));
        });
        modal.querySelector('.md-mp-more').style.display = data.more ? '' : 'none';
      }).catch(function (e) { message(e.message, true); });
  }

  function groups(list) {
    var select = modal.querySelector('.md-mp-group');
    var current = select.value;
    select.innerHTML = '';
    select.appendChild(el('option', {value: '', text: t('allGroups')}));
    list.forEach(function (g) { select.appendChild(el('option', {value: String(g.id), text: g.name})); });
    select.value = current;
    if (select.value !== current) { select.value = ''; }
    select.style.display = list.length ? '' : 'none';
  }

  function pick(file) {
    close();
    if (state.onPick) { state.onPick(file); }
  }

  function close() { if (modal) { modal.style.display = 'none'; } }

  function upload(input) {
    var file = input.files[0];
    if (!file) { return; }
    var form = new FormData();
    form.append('file', file);
    var group = modal.querySelector('.md-mp-group').value;
    if (group) { form.append('group_id', group); }
    message(t('uploading'));
    var target = state.config.upload + (state.config.upload.indexOf('?') < 0 ? '?' : '&') +
      'kind=' + encodeURIComponent(state.kind);
    fetch(target, {method: 'POST', body: form, credentials: 'same-origin',
      headers: {'X-CSRFToken': state.config.csrf, 'Accept': 'application/json'}})
      .then(getJSON).then(function (data) {
        input.value = '';
        if (data.errors && data.errors.length) { message(data.errors.join('；'), true); }
        var stored = (data.files || []).filter(function (f) { return f.kind === state.kind; });
        if (stored.length) { pick(stored[0]); return; }
        if (data.files && data.files.length) { message(t('wrongKind'), true); }
        load(false);
      }).catch(function (e) { input.value = ''; message(e.message, true); });
  }

  function build() {
    style();
    var search = el('input', {type: 'search', cls: 'form-control input-sm md-mp-search', placeholder: ''});
    var timer = null;
    search.addEventListener('input', function () { clearTimeout(timer); timer = setTimeout(function () { load(false); }, 250); });
    var file = el('input', {type: 'file', cls: 'md-mp-upload'});
    var group = el('select', {cls: 'form-control input-sm md-mp-group', style: 'display:none'});
    group.addEventListener('change', function () { load(false); });
    file.addEventListener('change', function () { upload(file); });
    modal = el('div', {cls: 'md-mp', role: 'dialog', 'aria-modal': 'true', id: 'md-media-picker'}, [
      el('div', {cls: 'md-mp-box'}, [
        el('h4', {}, [el('span', {cls: 'md-mp-title'}),
          el('button', {type: 'button', cls: 'close md-mp-close', 'aria-label': '×', text: '×', onclick: close})]),
        el('div', {cls: 'md-mp-bar'}, [group, search, el('label', {cls: 'btn btn-default btn-sm md-mp-upload-label'}, [
          el('span', {cls: 'md-mp-upload-text'}), file])]),
        el('p', {cls: 'md-mp-msg text-muted'}),
        el('div', {cls: 'md-mp-grid'}),
        el('button', {type: 'button', cls: 'btn btn-link md-mp-more', style: 'display:none', onclick: function () { load(true); }})
      ])
    ]);
    modal.addEventListener('click', function (e) { if (e.target === modal) { close(); } });
    document.addEventListener('keydown', function (e) { if (e.key === 'Escape') { close(); } });
    document.body.appendChild(modal);
  }

  function open(config, kind, onPick) {
    if (!modal) { build(); }
    state = {config: config, kind: kind === 'video' ? 'video' : 'image', onPick: onPick, page: 1};
    modal.querySelector('.md-mp-title').textContent = t(state.kind === 'video' ? 'titleVideo' : 'titleImage');
    modal.querySelector('.md-mp-search').placeholder = t('search');
    modal.querySelector('.md-mp-search').value = '';
    modal.querySelector('.md-mp-group').setAttribute('aria-label', t('group'));
    modal.querySelector('.md-mp-group').value = '';  // every opening starts with all groups
    modal.querySelector('.md-mp-upload-text').textContent = t('upload');
    modal.querySelector('.md-mp-more').textContent = t('more');
    modal.querySelector('.md-mp-upload').setAttribute('accept', state.kind === 'video' ? '.mp4' : '.jpg,.jpeg,.png,.gif,.webp');
    message('');
    modal.style.display = '';
    load(false);
  }

  function wire(box) {
    if (box.getAttribute('data-wired')) { return; }
    box.setAttribute('data-wired', '1');
    var config = JSON.parse(box.getAttribute('data-config'));
    var input = box.querySelector('input[type=hidden]');
    var preview = box.querySelector('.md-media-pick-preview');
    var name = box.querySelector('.md-media-pick-name');
    var kind = box.getAttribute('data-kind');
    box.querySelector('.md-media-pick-open').addEventListener('click', function () {
      open(config, kind, function (file) {
        input.value = file.url;
        if (preview) { preview.src = kind === 'image' ? file.thumb : file.url; preview.style.display = ''; }
        if (name) { name.textContent = file.name; }
      });
    });
    var clear = box.querySelector('.md-media-pick-clear');
    if (clear) {
      clear.addEventListener('click', function () {
        input.value = '';
        if (preview) { preview.removeAttribute('src'); preview.style.display = 'none'; }
        if (name) { name.textContent = ''; }
      });
    }
  }

  window.MDMediaPicker = {open: open, wire: wire};
  function wireAll() { Array.prototype.forEach.call(document.querySelectorAll('.md-media-pick'), wire); }
  if (document.readyState === 'loading') { document.addEventListener('DOMContentLoaded', wireAll); }
  else { wireAll(); }
})();
