// Small helpers for generated admin pages.
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
