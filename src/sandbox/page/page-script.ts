/**
 * The page's only script, inlined. It never builds HTML from strings of its
 * own: message HTML comes rendered and escaped from /state, and everything
 * else (dialog title and labels, notes) goes in through textContent.
 */
export const PAGE_SCRIPT = `
(function () {
  'use strict';
  var $ = function (id) { return document.getElementById(id); };
  var openThread = null;
  var last = null;
  var user = function () { return $('person').value; };

  function messageEl(m, ephemeral) {
    var el = document.createElement('div');
    el.className = ephemeral ? 'message ephemeral' : 'message';
    el.dataset.ts = m.ts;
    var head = document.createElement('div');
    head.className = 'author';
    head.innerHTML = m.author; // escaped by the server
    if (m.edited) head.appendChild(note(' (edited)'));
    if (m.broadcast) head.appendChild(note(' replied to a thread'));
    if (ephemeral) head.appendChild(note(' Only visible to you'));
    var body = document.createElement('div');
    body.className = 'body';
    body.innerHTML = m.html; // rendered and escaped by the server
    el.appendChild(head);
    el.appendChild(body);
    if (!ephemeral && m.broadcast && m.threadTs) el.appendChild(threadLink(m.threadTs, 'View thread'));
    if (!ephemeral && m.replyCount > 0) {
      el.appendChild(threadLink(m.ts, m.replyCount + (m.replyCount === 1 ? ' reply' : ' replies')));
    }
    return el;
  }

  function threadLink(ts, text) {
    var link = document.createElement('a');
    link.href = '#';
    link.className = 'replies';
    link.dataset.thread = ts;
    link.textContent = text;
    return link;
  }

  function note(text) {
    var span = document.createElement('span');
    span.className = 'note';
    span.textContent = text;
    return span;
  }

  function fill(pane, items) {
    pane.replaceChildren.apply(pane, items);
    pane.scrollTop = pane.scrollHeight;
  }

  function render(state) {
    last = state;
    var inThread = function (e) { return e.threadTs !== undefined && e.threadTs !== null; };
    fill($('messages'), state.messages.map(function (m) { return messageEl(m, false); })
      .concat(state.ephemerals.filter(function (e) { return !inThread(e); })
        .map(function (e) { return messageEl(e, true); })));
    var root = openThread && state.messages.find(function (m) { return m.ts === openThread; });
    $('thread').hidden = !root;
    if (!root) return;
    // In its thread a broadcast reply is just a reply.
    var replies = (state.threads[root.ts] || []).map(function (m) {
      return messageEl(Object.assign({}, m, { broadcast: false }), false);
    });
    var mine = state.ephemerals.filter(function (e) { return e.threadTs === root.ts; })
      .map(function (e) { return messageEl(e, true); });
    fill($('thread-messages'), [messageEl(Object.assign({}, root, { replyCount: 0 }), false)]
      .concat(replies, mine));
  }

  function load() {
    return fetch('/state?user=' + encodeURIComponent(user()))
      .then(function (r) { return r.json(); })
      .then(render)
      .catch(function (e) { status('Could not load: ' + e); });
  }

  function status(text) { $('status').textContent = text; }

  function post(path, body) {
    return fetch(path, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    }).then(function (r) {
      return r.json().then(function (answer) {
        status(r.ok ? '' : (answer.error || ('HTTP ' + r.status)));
      });
    }).catch(function (e) { status(String(e)); });
  }

  function confirmDialog(data) {
    return new Promise(function (resolve) {
      var dialog = $('confirm');
      $('confirm-title').textContent = String(data.title || '');
      $('confirm-body').innerHTML = String(data.html || ''); // rendered and escaped by the server
      var yes = $('confirm-yes');
      yes.textContent = String(data.confirm || 'Yes');
      yes.className = 'button ' + (data.style === 'danger' ? 'danger' : 'primary');
      $('confirm-no').textContent = String(data.deny || 'Cancel');
      dialog.onclose = function () { resolve(dialog.returnValue === 'yes'); };
      dialog.returnValue = '';
      dialog.showModal();
    });
  }

  function click(button) {
    var message = button.closest('.message');
    var send = function () {
      var body = {
        user: user(),
        messageTs: message ? message.dataset.ts : '',
        actionId: button.dataset.actionId,
        blockId: button.dataset.blockId,
      };
      if (button.dataset.value !== undefined) body.value = button.dataset.value;
      return post('/click', body);
    };
    var raw = button.dataset.confirm;
    if (raw === undefined) return send();
    var data;
    try { data = JSON.parse(raw); } catch (e) { data = {}; }
    return confirmDialog(data).then(function (ok) { if (ok) return send(); });
  }

  document.addEventListener('click', function (event) {
    var target = event.target;
    var button = target.closest && target.closest('button[data-action-id]');
    if (button) { event.preventDefault(); click(button); return; }
    var link = target.closest && target.closest('a[data-thread]');
    if (link) { event.preventDefault(); openThread = link.dataset.thread; if (last) render(last); }
  });

  var reset = $('reset');
  if (reset) reset.addEventListener('click', function () {
    var data = { title: 'Reset the demo?', html: '', confirm: 'Reset', deny: 'Cancel', style: 'danger' };
    confirmDialog(data).then(function (ok) {
      if (!ok) return;
      openThread = null;
      status('Resetting the demo…');
      return post('/reset', {}).then(load);
    });
  });

  $('close-thread').addEventListener('click', function () { openThread = null; if (last) render(last); });
  $('person').addEventListener('change', load);

  $('composer').addEventListener('submit', function (event) {
    event.preventDefault();
    var input = $('composer-input');
    var line = input.value.trim();
    if (!line) return;
    if (line.charAt(0) !== '/') { status('Only slash commands are sent in the sandbox, e.g. /stuckjobs help'); return; }
    input.value = '';
    post('/command', { user: user(), text: line });
  });

  var events = new EventSource('/events');
  events.addEventListener('change', load);
  events.addEventListener('open', load);
  load();
})();
`;
