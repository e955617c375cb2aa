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

$(function () {
  // Copy buttons next to read-only values (URLs and keys to paste into WeChat).
  $(document).on('click', '.md-copy-btn', function () {
    var $btn = $(this);
    var input = document.getElementById($btn.data('target'));
    input.select();
    var done = function () {
      var original = $btn.html();
      $btn.text($btn.data('done'));
      setTimeout(function () { $btn.html(original); }, 1500);
    };
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(input.value).then(done);
    } else {
      document.execCommand('copy');
      done();
    }
  });
  // Keys of a fixed length (WeChat Pay API keys): checked as typed.
  $('.md-key-input').on('input', function () {
    var $input = $(this);
    var $hint = $input.closest('.form-group').find('.md-key-hint');
    var value = $input.val();
    var ok = new RegExp('^[A-Za-z0-9]{' + $input.data('len') + '}$').test(value);
    $input.closest('.form-group').toggleClass('has-error', value !== '' && !ok)
      .toggleClass('has-success', ok);
    if ($hint.length && value !== '') {
      $hint.text(ok ? $hint.data('ok') : $hint.data('bad').replace('{n}', value.length));
    }
  }).filter(function () { return this.value !== ''; }).trigger('input');
  // ^ text typed (or restored by the browser) before this script ran is checked too.
  // Payment wizard step 1: choosing the AppID type fills in that account's AppID.
  $('input[name="app_kind"]').on('change', function () {
    var appid = $(this).data('appid');
    if (appid) { $('#appid').val(appid); }
  });
});
