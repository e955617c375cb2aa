/* 页面设计: palette (left), phone canvas (middle), settings of the selected component
   (right). The page is one JSON document; every change re-renders the canvas at once.
   SortableJS (app/static/vendor/) gives drag from the palette and drag to reorder; without
   it, palette items are added by click and moved with 上移/下移. The server checks the
   whole document again on save and names the component it refuses. Images (轮播图, 分类导航
   and 底部导航 icons, the video's cover) and videos are chosen with the shared 素材库 dialog
   (media_picker.js, window.MDMediaPicker), the same one every form uses. */
(function () {
  'use strict';
  var root = document.getElementById('builder');
  if (!root) { return; }
  var cfg = JSON.parse(document.getElementById('builder-config').textContent);
  var t = JSON.parse(document.getElementById('builder-i18n').textContent);
  var csrf = document.querySelector('meta[name="csrf-token"]').getAttribute('content');
  var doc = cfg.document;
  doc.components = doc.components || [];
  var products = cfg.products || {};   // id -> {name, price}, for the canvas
  var selected = -1;
  var dirty = false;
  var canvas = document.getElementById('canvas');
  var settings = document.getElementById('settings');

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
  var seq = 0;
  function newId() { seq += 1; return 'c' + Date.now().toString(36) + seq; }
  function changed() { dirty = true; status(t.unsaved); renderCanvas(); }
  function status(text) { document.getElementById('builder-status').textContent = text; }
  function showError(text) {
    var box = document.getElementById('builder-error');
    box.textContent = text || ''; box.style.display = text ? '' : 'none';
    if (text) { document.getElementById('builder-ok').style.display = 'none'; }
  }
  function showOk(text) {
    var box = document.getElementById('builder-ok');
    box.textContent = text; box.style.display = '';
    showError('');
  }

  function defaults(type) {
    var firstCats = cfg.categories.slice(0, 4).map(function (c) { return c.id; });
    var self = {kind: 'page', id: cfg.page.id};
    return {
      banner: {images: [], interval: 4},
      products: {source: 'pick', product_ids: [], columns: 2, show_price: true, show_buy: true, title: ''},
      category_nav: {category_ids: firstCats, columns: 4},
      notice: {text: t.noticeDefault, link: null},
      search: {placeholder: t.searchDefault},
      rich_text: {html: t.richDefault},
      video: {video: '', poster: ''},
      coupon_entry: {title: t.couponDefault, coupon_ids: []},
      article_list: {title: t.articlesDefault, count: 5, article_ids: []},
      spacer: {height: 20},
      divider: {style: 'solid', color: '#E5E5E5'},
      tab_bar: {tabs: [{icon: 'home', label: t.home, link: self}, {icon: 'user', label: t.mine, link: self}]}
    }[type];
  }

  function addComponent(type, index) {
    var component = {id: newId(), type: type, settings: defaults(type)};
    if (index === undefined || index > doc.components.length) { index = doc.components.length; }
    doc.components.splice(index, 0, component);
    selected = index;
    changed(); renderSettings();
  }

  // -- canvas --------------------------------------------------------------------------
  function preview(c) {
    var s = c.settings || {};
    var box = el('div', {cls: 'md-c md-c-' + c.type});
    switch (c.type) {
      case 'banner':
        box.appendChild(s.images && s.images.length && s.images[0].image
          ? el('div', {cls: 'md-pv-banner'}, [el('img', {src: s.images[0].image, alt: ''}),
            el('span', {cls: 'md-count', text: '1/' + s.images.length})])
          : el('div', {cls: 'md-pv-banner', text: cfg.components.banner}));
        break;
      case 'products':
        if (s.title) { box.appendChild(el('h5', {text: s.title})); }
        var grid = el('div', {cls: 'md-pv-goods md-cols-' + s.columns});
        var ids = s.source === 'pick' ? (s.product_ids || []) : [0, 0, 0, 0].slice(0, Math.min(s.count || 4, 4));
        if (!ids.length) { ids = [0, 0]; }
        ids.forEach(function (id) {
          var p = products[String(id)] || {name: t.sample, price: '0.00'};
          grid.appendChild(el('div', {cls: 'md-pv-card', 'data-product': id}, [el('div', {cls: 'md-pv-img'}),
            el('div', {cls: 'md-pv-name', text: p.name}),
            el('div', {cls: 'md-pv-price', text: (s.show_price ? '¥' + p.price : '') + ' '},
              [s.show_buy ? el('b', {cls: 'md-pv-buy', text: t.buy}) : null])]));
        });
        box.appendChild(grid);
        break;
      case 'category_nav':
        var cats = el('div', {cls: 'md-pv-cats'});
        cfg.categories.filter(function (cat) { return (s.category_ids || []).indexOf(cat.id) >= 0; })
          .forEach(function (cat) {
            var icon = (s.icons || {})[String(cat.id)];
            cats.appendChild(el('span', {}, [icon ? el('img', {src: icon, alt: '', cls: 'md-pv-icon'}) : el('i'),
              document.createTextNode(cat.name)]));
          });
        box.appendChild(cats);
        break;
      case 'notice': box.appendChild(el('div', {cls: 'md-pv-notice', text: '📢 ' + (s.text || '')})); break;
      case 'search': box.appendChild(el('div', {cls: 'md-pv-search', text: s.placeholder || t.searchDefault})); break;
      case 'rich_text':
        // The canvas shows text only; the sanitized HTML is shown by 预览草稿 after saving.
        var tmp = document.createElement('template'); tmp.innerHTML = s.html || '';
        box.appendChild(el('div', {cls: 'md-pv-rich', text: tmp.content.textContent.slice(0, 200)}));
        break;
      case 'video': box.appendChild(el('div', {cls: 'md-pv-video', text: '▶ ' + cfg.components.video})); break;
      case 'coupon_entry': box.appendChild(el('div', {cls: 'md-pv-coupon', text: s.title || t.couponDefault})); break;
      case 'article_list': box.appendChild(el('div', {cls: 'md-pv-articles'}, [el('h5', {text: s.title || cfg.components.article_list})])); break;
      case 'spacer': box.appendChild(el('div', {style: 'height:' + (parseInt(s.height, 10) || 0) + 'px'})); break;
      case 'divider': box.appendChild(el('hr', {style: 'margin:8px 0;border-top:1px ' + s.style + ' ' + s.color})); break;
      case 'tab_bar':
        var tabs = el('div', {cls: 'md-phone-tabs'});
        (s.tabs || []).forEach(function (tab) {
          tabs.appendChild(el('span', {}, [tab.image ? el('img', {src: tab.image, alt: '', cls: 'md-pv-icon'}) : null,
            document.createTextNode(tab.label || '')]));
        });
        box.appendChild(tabs);
        break;
      default: box.appendChild(el('div', {text: c.type}));
    }
    return box;
  }

  function move(i, delta) {
    var j = i + delta;
    if (j < 0 || j >= doc.components.length) { return; }
    var item = doc.components.splice(i, 1)[0];
    doc.components.splice(j, 0, item);
    selected = j; changed(); renderSettings();
  }

  function renderCanvas() {
    document.getElementById('canvas-title').textContent = doc.title;
    canvas.style.background = doc.bg_color;
    canvas.innerHTML = '';
    if (!doc.components.length) { canvas.appendChild(el('div', {cls: 'md-canvas-empty', text: t.empty})); }
    doc.components.forEach(function (c, i) {
      var tools = el('div', {cls: 'md-c-tools'}, [
        el('span', {cls: 'md-c-name', text: cfg.components[c.type] || c.type}),
        el('button', {type: 'button', cls: 'btn btn-xs btn-default md-up', text: t.up, onclick: function (e) { e.stopPropagation(); move(i, -1); }}),
        el('button', {type: 'button', cls: 'btn btn-xs btn-default md-down', text: t.down, onclick: function (e) { e.stopPropagation(); move(i, 1); }}),
        el('button', {type: 'button', cls: 'btn btn-xs btn-default md-copy', text: t.copy, onclick: function (e) {
          e.stopPropagation();
          var copy = JSON.parse(JSON.stringify(c)); copy.id = newId();
          doc.components.splice(i + 1, 0, copy); selected = i + 1; changed(); renderSettings();
        }}),
        el('button', {type: 'button', cls: 'btn btn-xs btn-danger md-remove', text: t.remove, onclick: function (e) {
          e.stopPropagation();
          doc.components.splice(i, 1); selected = -1; changed(); renderSettings();
        }})]);
      var item = el('div', {cls: 'md-canvas-item' + (i === selected ? ' selected' : ''), 'data-index': i,
        'data-type': c.type, onclick: function () { selected = i; renderCanvas(); renderSettings(); }},
        [tools, preview(c)]);
      canvas.appendChild(item);
    });
  }

  // -- settings ------------------------------------------------------------------------------
  function field(labelText, input) {
    return el('div', {cls: 'form-group'}, [el('label', {text: labelText}), input]);
  }
  function textInput(obj, key, labelText, max, onChange) {
    var input = el('input', {cls: 'form-control', maxlength: max || 200, 'data-key': key});
    input.value = obj[key] == null ? '' : obj[key];
    input.addEventListener('input', function () { obj[key] = input.value; (onChange || changed)(); });
    return field(labelText, input);
  }
  function numberInput(obj, key, labelText, min, max) {
    var input = el('input', {cls: 'form-control', type: 'number', min: min, max: max, 'data-key': key});
    input.value = obj[key];
    input.addEventListener('input', function () { obj[key] = parseInt(input.value, 10); changed(); });
    return field(labelText, input);
  }
  function selectInput(obj, key, labelText, options, asNumber) {
    var input = el('select', {cls: 'form-control', 'data-key': key});
    options.forEach(function (o) {
      var opt = el('option', {value: o[0], text: o[1]});
      if (String(obj[key]) === String(o[0])) { opt.selected = true; }
      input.appendChild(opt);
    });
    input.addEventListener('change', function () {
      obj[key] = asNumber ? parseInt(input.value, 10) : input.value; changed(); renderSettings();
    });
    return field(labelText, input);
  }
  function checkInput(obj, key, labelText) {
    var input = el('input', {type: 'checkbox', 'data-key': key});
    input.checked = !!obj[key];
    input.addEventListener('change', function () { obj[key] = input.checked; changed(); });
    return el('div', {cls: 'checkbox'}, [el('label', {}, [input, document.createTextNode(' ' + labelText)])]);
  }
  function idList(obj, key, labelText) {
    var input = el('input', {cls: 'form-control', 'data-key': key});
    input.value = (obj[key] || []).join(',');
    input.addEventListener('input', function () {
      obj[key] = input.value.split(/[,，\s]+/).filter(Boolean).map(function (v) { return parseInt(v, 10) || v; });
      changed();
    });
    return field(labelText, input);
  }

  function linkInput(holder, key) {
    var link = holder[key] || {};
    var box = el('div', {cls: 'md-link'});
    var kind = el('select', {cls: 'form-control md-link-kind'});
    kind.appendChild(el('option', {value: '', text: t.none}));
    Object.keys(cfg.linkKinds).forEach(function (k) {
      var opt = el('option', {value: k, text: cfg.linkKinds[k]});
      if (link.kind === k) { opt.selected = true; }
      kind.appendChild(opt);
    });
    var target = el('span');
    function drawTarget() {
      target.innerHTML = '';
      var k = kind.value;
      if (!k) { holder[key] = null; return; }
      if (k === 'url') {
        var url = el('input', {cls: 'form-control', placeholder: t.url, maxlength: 500});
        url.value = link.url || '';
        url.addEventListener('input', function () { holder[key] = {kind: 'url', url: url.value}; changed(); });
        target.appendChild(url);
        holder[key] = {kind: 'url', url: url.value};
        return;
      }
      var choices = k === 'category' ? cfg.categories : (k === 'page' ? cfg.pages : null);
      var input;
      if (choices) {
        input = el('select', {cls: 'form-control'});
        choices.forEach(function (c) {
          var opt = el('option', {value: c.id, text: c.name});
          if (link.id === c.id) { opt.selected = true; }
          input.appendChild(opt);
        });
      } else {
        input = el('input', {cls: 'form-control', type: 'number', min: 1, placeholder: cfg.linkKinds[k] + ' ' + t.idLabel});
        input.value = link.kind === k && link.id ? link.id : '';
      }
      var update = function () { holder[key] = {kind: k, id: parseInt(input.value, 10) || null}; changed(); };
      input.addEventListener(choices ? 'change' : 'input', update);
      target.appendChild(input);
      holder[key] = {kind: k, id: parseInt(input.value, 10) || null};
    }
    kind.addEventListener('change', function () { link = {}; drawTarget(); changed(); });
    drawTarget();
    box.appendChild(kind); box.appendChild(target);
    return field(t.link, box);
  }

  function openMedia(kind, callback) {
    if (!window.MDMediaPicker) { showError(t.failed); return; }
    window.MDMediaPicker.open(cfg.media, kind, callback);
  }

  // A library file in obj[key]; ``optional`` adds 清除 (the key is then removed).
  function mediaInput(obj, key, kind, labelText, optional) {
    var box = el('div', {cls: 'md-media-field', 'data-key': key});
    if (obj[key] && kind === 'image') { box.appendChild(el('img', {src: obj[key], alt: '', height: 40})); }
    if (obj[key] && kind === 'video') { box.appendChild(el('span', {text: '▶ '})); }
    box.appendChild(el('button', {type: 'button', cls: 'btn btn-xs btn-default md-pick-media',
      text: kind === 'video' ? t.chooseVideo : t.chooseImage, onclick: function () {
        openMedia(kind, function (file) { obj[key] = file.url; changed(); renderSettings(); });
      }}));
    if (optional && obj[key]) {
      box.appendChild(el('button', {type: 'button', cls: 'btn btn-xs btn-link md-clear-media', text: t.clear,
        onclick: function () { delete obj[key]; changed(); renderSettings(); }}));
    }
    return field(labelText, box);
  }

  function productPicker(s) {
    var box = el('div', {cls: 'md-product-picker'});
    var chosen = el('ul', {cls: 'list-unstyled md-chosen'});
    (s.product_ids || []).forEach(function (id, i) {
      var p = products[String(id)] || {name: '#' + id, price: ''};
      chosen.appendChild(el('li', {}, [document.createTextNode(p.name + ' (ID ' + id + ') '),
        el('button', {type: 'button', cls: 'btn btn-xs btn-link', text: t.remove, onclick: function () {
          s.product_ids.splice(i, 1); changed(); renderSettings();
        }})]));
    });
    var search = el('input', {cls: 'form-control', id: 'product-search', placeholder: t.search});
    var results = el('ul', {cls: 'list-unstyled md-results', id: 'product-results'});
    var timer = null;
    function lookup() {
      fetch(cfg.urls.products + '?q=' + encodeURIComponent(search.value), {credentials: 'same-origin'})
        .then(function (r) { return r.json(); }).then(function (data) {
          results.innerHTML = '';
          if (!data.products.length) { results.appendChild(el('li', {cls: 'text-muted', text: t.noProducts})); }
          data.products.forEach(function (p) {
            results.appendChild(el('li', {}, [el('button', {type: 'button', cls: 'btn btn-xs btn-default md-add-product',
              'data-id': p.id, text: '+ ' + p.name + ' ¥' + p.price + (p.on_shelf ? '' : ' (' + t.offShelf + ')'),
              onclick: function () {
                products[String(p.id)] = {name: p.name, price: p.price};
                s.product_ids = s.product_ids || [];
                if (s.product_ids.indexOf(p.id) < 0) { s.product_ids.push(p.id); }
                changed(); renderSettings();
              }})]));
          });
        });
    }
    search.addEventListener('input', function () { clearTimeout(timer); timer = setTimeout(lookup, 250); });
    box.appendChild(field(t.chosen, chosen));
    box.appendChild(search); box.appendChild(results);
    lookup();
    return box;
  }

  function renderSettings() {
    settings.innerHTML = '';
    var c = doc.components[selected];
    if (!c) { settings.appendChild(el('p', {cls: 'text-muted', text: t.empty})); return; }
    var s = c.settings;
    settings.appendChild(el('h4', {text: cfg.components[c.type]}));
    var add = function (node) { settings.appendChild(node); };
    switch (c.type) {
      case 'banner':
        (s.images || []).forEach(function (img, i) {
          var row = el('div', {cls: 'well well-sm'});
          row.appendChild(mediaInput(img, 'image', 'image', t.image + ' ' + (i + 1)));
          row.appendChild(linkInput(img, 'link'));
          row.appendChild(el('button', {type: 'button', cls: 'btn btn-xs btn-danger', text: t.remove,
            onclick: function () { s.images.splice(i, 1); changed(); renderSettings(); }}));
          add(row);
        });
        if ((s.images || []).length < 10) {
          add(el('button', {type: 'button', cls: 'btn btn-sm btn-default md-add-image', text: t.addImage, onclick: function () {
            openMedia('image', function (file) { s.images.push({image: file.url, link: null}); changed(); renderSettings(); });
          }}));
        }
        add(numberInput(s, 'interval', t.interval, 1, 10));
        break;
      case 'products':
        add(textInput(s, 'title', t.title, 20));
        add(selectInput(s, 'source', t.source, [['pick', t.pick], ['category', t.byCategory]]));
        if (s.source === 'pick') { add(productPicker(s)); } else {
          if (!s.category_id && cfg.categories.length) { s.category_id = cfg.categories[0].id; }
          add(selectInput(s, 'category_id', t.category, cfg.categories.map(function (x) { return [x.id, x.name]; }), true));
          if (!s.count) { s.count = 6; }
          add(numberInput(s, 'count', t.count, 1, 50));
        }
        add(selectInput(s, 'columns', t.columns, [[1, '1'], [2, '2'], [3, '3']], true));
        add(checkInput(s, 'show_price', t.showPrice));
        add(checkInput(s, 'show_buy', t.showBuy));
        break;
      case 'category_nav':
        add(el('p', {cls: 'help-block', text: t.categoriesHint}));
        cfg.categories.forEach(function (cat) {
          var box = el('input', {type: 'checkbox', value: cat.id});
          box.checked = (s.category_ids || []).indexOf(cat.id) >= 0;
          box.addEventListener('change', function () {
            s.category_ids = (s.category_ids || []).filter(function (x) { return x !== cat.id; });
            if (box.checked) { s.category_ids.push(cat.id); }
            else if (s.icons) { delete s.icons[String(cat.id)]; }
            changed(); renderSettings();
          });
          add(el('div', {cls: 'checkbox'}, [el('label', {}, [box, document.createTextNode(' ' + cat.name)])]));
          if (box.checked) {
            s.icons = s.icons || {};
            add(el('div', {cls: 'md-cat-icon', 'data-category': cat.id},
              [mediaInput(s.icons, String(cat.id), 'image', t.categoryIcon, true)]));
          }
        });
        add(selectInput(s, 'columns', t.columns, [[3, '3'], [4, '4'], [5, '5']], true));
        break;
      case 'notice': add(textInput(s, 'text', t.text, 200)); add(linkInput(s, 'link')); break;
      case 'search': add(textInput(s, 'placeholder', t.placeholder, 30)); break;
      case 'rich_text':
        var area = el('textarea', {cls: 'form-control', rows: 10, 'data-key': 'html'});
        area.value = s.html || '';
        area.addEventListener('input', function () { s.html = area.value; changed(); });
        add(field(t.html, area));
        break;
      case 'video':
        add(mediaInput(s, 'video', 'video', t.video)); add(mediaInput(s, 'poster', 'image', t.poster, true)); break;
      case 'coupon_entry': add(textInput(s, 'title', t.title, 20)); add(idList(s, 'coupon_ids', t.couponIds)); break;
      case 'article_list':
        add(textInput(s, 'title', t.title, 20)); add(numberInput(s, 'count', t.count, 1, 20));
        add(idList(s, 'article_ids', t.articleIds)); break;
      case 'spacer': add(numberInput(s, 'height', t.height, 4, 100)); break;
      case 'divider':
        add(selectInput(s, 'style', t.style, [['solid', t.solid], ['dashed', t.dashed], ['dotted', t.dotted]]));
        var color = el('input', {type: 'color', cls: 'form-control md-color'}); color.value = s.color;
        color.addEventListener('input', function () { s.color = color.value; changed(); });
        add(field(t.color, color));
        break;
      case 'tab_bar':
        add(el('p', {cls: 'help-block', text: t.tabs}));
        s.tabs.forEach(function (tab, i) {
          var row = el('div', {cls: 'well well-sm'});
          row.appendChild(selectInput(tab, 'icon', t.icon, cfg.tabIcons.map(function (x) { return [x, x]; })));
          row.appendChild(mediaInput(tab, 'image', 'image', t.iconImage, true));
          row.appendChild(textInput(tab, 'label', t.label, 6));
          row.appendChild(linkInput(tab, 'link'));
          if (s.tabs.length > 2) {
            row.appendChild(el('button', {type: 'button', cls: 'btn btn-xs btn-danger', text: t.remove,
              onclick: function () { s.tabs.splice(i, 1); changed(); renderSettings(); }}));
          }
          add(row);
        });
        if (s.tabs.length < 5) {
          add(el('button', {type: 'button', cls: 'btn btn-sm btn-default', text: t.addTab, onclick: function () {
            s.tabs.push({icon: 'star', label: '', link: {kind: 'page', id: cfg.page.id}}); changed(); renderSettings();
          }}));
        }
        break;
    }
  }

  // -- page settings, save and publish ---------------------------------------------------------
  var titleInput = document.getElementById('page-title');
  var bgInput = document.getElementById('page-bg');
  var homeInput = document.getElementById('page-home');
  titleInput.value = doc.title; bgInput.value = doc.bg_color || '#F5F5F5'; homeInput.checked = cfg.page.is_home;
  titleInput.addEventListener('input', function () { doc.title = titleInput.value; changed(); });
  bgInput.addEventListener('input', function () { doc.bg_color = bgInput.value.toUpperCase(); changed(); });
  homeInput.addEventListener('change', function () { dirty = true; status(t.unsaved); });

  function post(url, body) {
    return fetch(url, {method: 'POST', credentials: 'same-origin', body: body,
      headers: {'Content-Type': 'application/json', 'Accept': 'application/json', 'X-CSRFToken': csrf}})
      .then(function (r) {
        return r.json().catch(function () { return {ok: false, error: t.failed}; });
      });
  }
  function save() {
    var body = JSON.stringify({document: doc, is_home: homeInput.checked});
    if (body.length > cfg.maxBytes) { showError(t.tooLarge); return Promise.resolve(false); }
    status(t.saving);
    return post(cfg.urls.save, body).then(function (data) {
      if (!data.ok) { showError(data.error || t.failed); status(t.unsaved); return false; }
      doc = data.document; dirty = false;
      showOk(t.saved + ' ' + data.saved_at); status(t.saved + ' ' + data.saved_at);
      renderCanvas(); renderSettings();
      return true;
    }).catch(function () { showError(t.failed); return false; });
  }
  document.getElementById('btn-save').addEventListener('click', save);
  var publishButton = document.getElementById('btn-publish');
  if (publishButton) {
    publishButton.addEventListener('click', function () {
      if (!window.confirm(t.confirmPublish)) { return; }
      save().then(function (ok) {
        if (!ok) { return; }
        post(cfg.urls.publish, '{}').then(function (data) {
          if (!data.ok) { showError(data.error || t.failed); return; }
          showOk(data.message); status(data.message);
        });
      });
    });
  }
  window.addEventListener('beforeunload', function (e) { if (dirty) { e.preventDefault(); e.returnValue = ''; } });

  // -- palette: drag (SortableJS) or click -----------------------------------------------------
  var palette = document.getElementById('palette');
  palette.addEventListener('click', function (e) {
    var item = e.target.closest('.md-palette-item');
    if (item) { addComponent(item.getAttribute('data-type')); }
  });
  if (typeof window.Sortable !== 'undefined') {
    window.Sortable.create(palette, {group: {name: 'components', pull: 'clone', put: false},
      sort: false, draggable: '.md-palette-item'});
    window.Sortable.create(canvas, {group: {name: 'components', pull: false, put: true},
      draggable: '.md-canvas-item', animation: 120,
      onAdd: function (evt) {
        var type = evt.item.getAttribute('data-type');
        evt.item.parentNode.removeChild(evt.item);
        addComponent(type, evt.newDraggableIndex !== undefined ? evt.newDraggableIndex : evt.newIndex);
      },
      onUpdate: function (evt) {
        var item = doc.components.splice(evt.oldDraggableIndex, 1)[0];
        doc.components.splice(evt.newDraggableIndex, 0, item);
        selected = evt.newDraggableIndex; changed(); renderSettings();
      }});
  }
  renderCanvas(); renderSettings();
})();
