// Small helpers for generated admin pages.
$(function () {
  $(document).on('click', '.md-qr', function (e) {
    e.preventDefault();
    var pk = $(this).data('qr');
    window.location.href = '/shopview/qrcode/' + encodeURIComponent(pk);
  });
});
