/* 自定义菜单 designer: shows the fields of the chosen action, counts name length the way
   WeChat does (a Chinese character is 2, a letter 1), hides the top-level action while the
   button has sub-buttons, and shows empty sub-button slots one at a time. The server
   checks every limit again before saving or publishing. */
(function () {
  'use strict';
  function units(text) {
    var n = 0;
    for (var i = 0; i < text.length; i++) { n += text.charCodeAt(i) < 128 ? 1 : 2; }
    return n;
  }
  function showType(action) {
    var select = action.querySelector('.md-menu-type');
    var type = select ? select.value : '';
    action.querySelectorAll('.form-group').forEach(function (group) {
      if (group.contains(select)) { return; }
      var classes = group.className;
      group.style.display = type && classes.indexOf('md-for-' + type) >= 0 ? '' : 'none';
    });
  }
  function countName(input) {
    var out = input.parentNode.querySelector('.md-menu-count');
    var limit = parseInt(input.getAttribute('data-units'), 10);
    var used = units(input.value);
    if (out) {
      out.textContent = used + ' / ' + limit;
      out.style.color = used > limit ? '#a94442' : '';
    }
  }
  function refreshButton(panel) {
    var subs = panel.querySelectorAll('.md-menu-sub');
    var filled = 0;
    var shownEmpty = false;
    subs.forEach(function (sub) {
      var inputs = sub.querySelectorAll('input, select');
      var used = Array.prototype.some.call(inputs, function (el) { return el.value; });
      var hasError = sub.querySelector('.md-field-error');
      if (used || hasError) { filled++; sub.style.display = ''; return; }
      sub.style.display = shownEmpty ? 'none' : '';
      shownEmpty = true;
    });
    var top = panel.querySelector('.md-menu-top-action');
    if (top) { top.style.display = filled ? 'none' : ''; }
  }
  document.addEventListener('DOMContentLoaded', function () {
    var form = document.getElementById('menu-form');
    if (!form) { return; }
    form.querySelectorAll('.md-menu-action').forEach(showType);
    form.querySelectorAll('.md-menu-name').forEach(countName);
    form.querySelectorAll('.md-menu-button').forEach(refreshButton);
    form.addEventListener('change', function (event) {
      if (event.target.classList.contains('md-menu-type')) {
        showType(event.target.closest('.md-menu-action'));
      }
      refreshButton(event.target.closest('.md-menu-button'));
    });
    form.addEventListener('input', function (event) {
      if (event.target.classList.contains('md-menu-name')) { countName(event.target); }
    });
    form.addEventListener('focusout', function (event) {
      var panel = event.target.closest('.md-menu-button');
      if (panel) { refreshButton(panel); }
    });
  });
}());
