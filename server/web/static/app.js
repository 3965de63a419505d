// wenshu web UI: add and remove rows of list and table fields, and ask
// before irreversible actions. No inline script: the page's CSP forbids it.
(function () {
  'use strict';
  document.addEventListener('click', function (e) {
    var add = e.target.closest('[data-add-row]');
    if (add) {
      var id = add.getAttribute('data-add-row');
      var tpl = document.getElementById(id + '-tpl');
      var body = document.querySelector('[data-rows="' + id + '"]');
      if (!tpl || !body) return;
      var n = parseInt(add.getAttribute('data-next'), 10) || 0;
      add.setAttribute('data-next', String(n + 1));
      // The prototype is server markup without user data; only the
      // row index is filled in.
      var row = document.importNode(tpl.content, true);
      row.querySelectorAll('[name],[id],[for]').forEach(function (el) {
        ['name', 'id', 'for'].forEach(function (a) {
          var v = el.getAttribute(a);
          if (v) el.setAttribute(a, v.split('__i__').join(String(n)));
        });
      });
      body.appendChild(row);
      var first = body.lastElementChild && body.lastElementChild.querySelector('input,select,textarea');
      if (first) first.focus();
      return;
    }
    var rm = e.target.closest('[data-remove-row]');
    if (rm) {
      var r = rm.closest('.row');
      if (r) r.remove();
    }
  });
  document.addEventListener('submit', function (e) {
    var msg = e.target.getAttribute('data-confirm');
    if (msg && !window.confirm(msg)) e.preventDefault();
  });
})();
