// Small helpers for generated admin pages.

// FAB's own scripts show a few literal English strings: replace them with the texts the
// layout passes (data-i18n, in the page's language). Runs before FAB's ready handlers.
(function () {
  var script = document.currentScript;
  var data = script && script.getAttribute('data-i18n');
  var text = data ? JSON.parse(data) : {};
  if (typeof window.ab_alert === 'function' && text.noRowSelected) {
    var abAlert = window.ab_alert;
    window.ab_alert = function (message) {
      return abAlert(message === 'No row selected' ? text.noRowSelected : message);
    };
  }
  if (window.jQuery && $.fn.select2 && text.select) {
    var select2 = $.fn.select2;
    $.fn.select2 = function (options) {
      var placeholder = options && typeof options === 'object' && options.placeholder;
      if (/^Select( a State)?$/.test(placeholder || '')) {
        arguments[0] = $.extend({}, options, { placeholder: text.select });
      }
      return select2.apply(this, arguments);
    };
    $.extend($.fn.select2, select2); // keep select2's defaults and amd
  }
})();

$(function () {
  // Relation fields of large tables: options page by page from /<view>/related/<column>.
  $('select.md-ajax-select').each(function () {
    var $el = $(this);
    $el.select2({
      width: '100%',
      allowClear: !$el.prop('multiple'),
      placeholder: $el.data('placeholder'),
      ajax: {
        url: $el.data('related-url'), dataType: 'json', delay: 250,
        data: function (params) { return { q: params.term || '', page: params.page || 1 }; },
        processResults: function (data) {
          return { results: data.results, pagination: { more: data.pagination.more } };
        }
      }
    });
  });
});
