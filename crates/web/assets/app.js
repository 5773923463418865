// scopegate dashboard: live updates from /events (server-sent events).
// The pages work without this script; it only keeps them fresh. No data
// from the server is inserted as markup except the server-rendered,
// server-escaped queue fragment.
(function () {
  'use strict';

  var pending = document.getElementById('pending');
  var detail = document.querySelector('[data-approval]');
  var live = document.getElementById('live');
  var reload = document.getElementById('reload');
  if (reload) {
    reload.addEventListener('click', function (e) {
      e.preventDefault();
      window.location.reload();
    });
  }
  if (!pending && !detail) return;
  if (!window.EventSource || !window.fetch) return;

  var timer = null;

  function refreshPending() {
    fetch('/fragments/pending', { credentials: 'same-origin', headers: { accept: 'text/html' } })
      .then(function (r) {
        if (!r.ok || r.redirected) return null;
        return r.text();
      })
      .then(function (html) {
        if (html === null || html === undefined) return;
        pending.innerHTML = html;
        var n = pending.querySelectorAll('article.approval').length;
        var count = document.getElementById('pending-count');
        if (count) count.textContent = String(n);
        document.title = (n ? '(' + n + ') ' : '') + 'Pending approvals · scopegate';
      })
      .catch(function () {});
  }

  function schedule() {
    if (!pending) return;
    clearTimeout(timer);
    timer = setTimeout(refreshPending, 150);
  }

  function checkDetail() {
    var id = detail.getAttribute('data-approval');
    fetch('/api/approvals/' + encodeURIComponent(id), { credentials: 'same-origin', headers: { accept: 'application/json' } })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (a) {
        if (!a || a.state === detail.getAttribute('data-state')) return;
        var banner = document.getElementById('changed');
        if (banner) {
          banner.hidden = false;
        }
        var form = document.querySelector('.decide form');
        if (form) {
          form.querySelectorAll('button').forEach(function (b) { b.disabled = true; });
        }
      })
      .catch(function () {});
  }

  var source = new EventSource('/events');
  source.addEventListener('ready', function () {
    if (live) live.hidden = false;
    // Catch up on anything missed while (re)connecting.
    schedule();
    if (detail) checkDetail();
  });
  source.addEventListener('approval', function (e) {
    var id = null;
    try { id = JSON.parse(e.data).id; } catch (_) { return; }
    schedule();
    if (detail && id === detail.getAttribute('data-approval')) checkDetail();
  });
  source.addEventListener('resync', function () {
    schedule();
    if (detail) checkDetail();
  });
  source.onerror = function () {
    if (live) live.hidden = true;
  };
})();
