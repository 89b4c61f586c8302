// The user's side of a session: enter the code (or ask for help without one),
// then chat, consent and end.
// Plain script for any browser. Everything from the server is shown as text,
// never as HTML.
'use strict';
(function () {
  var $ = function (id) { return document.getElementById(id); };
  var STORE_KEY = 'lifeline.portal';
  var saved = null;
  try { saved = JSON.parse(sessionStorage.getItem(STORE_KEY) || 'null'); } catch (e) { saved = null; }

  var ws = null;
  var timer = null;
  var retryMs = 500;
  var joined = false;
  var ended = false;
  // True once this connection's history arrived: before it, new messages wait in the outbox so they keep their order.
  var live = false;
  var seen = {};
  // Messages not yet stored by the server wait here, kept with the resume key
  // so neither a lost connection nor a reload loses them. They go out again
  // on each reconnect; the server stores a clientId once, so none is doubled.
  var outbox = (saved && saved.outbox) || [];

  function keep() {
    if (!saved || ended) return;
    saved.outbox = outbox;
    sessionStorage.setItem(STORE_KEY, JSON.stringify(saved));
  }

  // Both ways in end the same: a request, a resume key, and the client's command.
  function start(path, body, err) {
    err.hidden = true;
    fetch(path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })
      .then(function (res) { return res.json(); })
      .then(function (data) {
        if (data.error) { err.textContent = data.error.message; err.hidden = false; return; }
        saved = data;
        keep();
        enterSession();
      })
      .catch(function () { err.textContent = 'Could not reach the support server. Check your connection and try again.'; err.hidden = false; });
  }

  $('join-form').addEventListener('submit', function (ev) {
    ev.preventDefault();
    var body = { code: $('code').value };
    if ($('name').value.trim()) body.name = $('name').value.trim();
    start('/api/portal/join', body, $('join-error'));
  });

  $('help-form').addEventListener('submit', function (ev) {
    ev.preventDefault();
    var err = $('help-error');
    var body = { name: $('help-name').value.trim(), description: $('help-description').value.trim() };
    if (!body.name || !body.description) {
      err.textContent = 'Please give your name and a few words about the problem.';
      err.hidden = false;
      return;
    }
    if ($('help-issue').value) body.issueType = $('help-issue').value;
    start('/api/portal/request', body, err);
  });

  // The administrator's issue types; without them the form still works (general queue).
  fetch('/api/portal/issue-types')
    .then(function (res) { return res.json(); })
    .then(function (data) {
      (data.issueTypes || []).forEach(function (t) {
        var opt = document.createElement('option');
        opt.value = t.name;
        opt.textContent = t.name;
        $('help-issue').appendChild(opt);
      });
    })
    .catch(function () { /* the form works without the list */ });

  function enterSession() {
    $('join').hidden = true;
    $('session').hidden = false;
    $('tech-name').textContent = saved.technician.displayName;
    $('agent-command').textContent = saved.agentCommand;
    // Asked for help without a code: the server made one for the support client; show it on its own too.
    if (saved.code) {
      $('session-code').textContent = String(saved.code).replace(/^(\d{3})(\d{3})(\d{4})$/, '$1 $2 $3');
      $('session-code-line').hidden = false;
    }
    // Typed before a reload and not stored yet: shown as sending, sent once connected.
    outbox.forEach(addPending);
    joined = true;
    connect();
  }

  function connect() {
    clearTimeout(timer);
    timer = null;
    // A browser that knows it is offline says when it is back ('online' below): no point retrying before.
    if (!joined || ended || ws || !navigator.onLine) return;
    var proto = location.protocol === 'https:' ? 'wss:' : 'ws:';
    var sock = ws = new WebSocket(proto + '//' + location.host + '/ws');
    live = false;
    sock.onopen = function () {
      retryMs = 500;
      sock.send(JSON.stringify({ type: 'hello', role: 'portal', resumeKey: saved.resumeKey }));
    };
    sock.onmessage = function (ev) {
      var msg;
      try { msg = JSON.parse(ev.data); } catch (e) { return; }
      if (msg.type === 'session:state') render(msg.state);
      else if (msg.type === 'chat:history') {
        // What the history holds is stored; the rest of the outbox goes out again, in order.
        msg.messages.forEach(addMessage);
        live = true;
        outbox.forEach(sendChat);
      }
      else if (msg.type === 'chat:message') addMessage(msg.message);
      else if (msg.type === 'error') showError(msg);
    };
    sock.onclose = function () {
      if (ws !== sock) return;
      ws = null;
      live = false;
      if (ended) return;
      $('status').textContent = 'Connection lost, reconnecting…';
      timer = setTimeout(connect, retryMs);
      retryMs = Math.min(retryMs * 2, 10000);
    };
  }
  // A socket can outlive the network by minutes; the browser's word that it is offline ends it now.
  window.addEventListener('offline', function () { if (ws) ws.close(); });
  window.addEventListener('online', connect);

  function showError(msg) {
    if (msg.code === 'ERR_SESSION_ENDED' || msg.code === 'ERR_NOT_AUTHENTICATED') {
      ended = true;
      sessionStorage.removeItem(STORE_KEY);
    }
    $('status').textContent = msg.message;
  }

  function render(s) {
    var tech = s.technician ? s.technician.displayName : saved.technician.displayName;
    // A transferred session has a new technician (or none while it waits in a team queue).
    if (s.technician) $('tech-name').textContent = tech;
    if (s.status === 'ended') {
      ended = true;
      sessionStorage.removeItem(STORE_KEY);
      $('status').textContent = 'The session has ended' + (s.endedReason ? ' (' + s.endedReason + ')' : '') + '. Thank you.';
    } else if (s.status === 'waiting' && !s.technician) {
      // Asked for help without a code: no technician yet, the request waits in a queue.
      $('status').textContent = 'Your request is waiting for ' + (saved.queueName || 'the support desk') + '. A technician will join you shortly.';
    } else if (s.status === 'waiting') {
      $('status').textContent = 'Waiting for ' + tech + ' to join…';
    } else {
      $('status').textContent = tech + ' is helping you.';
    }
    var list = $('participants');
    list.textContent = '';
    var shared = s.participants && s.participants.length > 1 ? s.participants : null;
    if (shared) {
      // A shared session: everyone taking part, and who has control.
      shared.forEach(function (p) {
        var online = s.status === 'active' && (p.control ? s.consoleOnline : !!p.online);
        participant(list, p.displayName + (p.control ? ' (technician, has control)' : ' (technician, watching)'), online);
      });
    } else {
      participant(list, s.technician ? tech + ' (technician)' : 'Technician', s.status === 'active' && s.consoleOnline);
    }
    participant(list, 'Your computer (support client)', s.agentOnline);
    $('start-client').hidden = s.agentOnline || s.status === 'ended';
    CONSENTS.forEach(function (key) { $('consent-' + key).checked = !!s.consent[key]; });
    var off = s.status === 'ended';
    CONSENTS.map(function (key) { return 'consent-' + key; }).concat(['end', 'chat-input']).forEach(function (id) { $(id).disabled = off; });
  }

  function participant(list, label, online) {
    var li = document.createElement('li');
    li.textContent = label + ': ' + (online ? 'connected' : 'not connected');
    li.className = online ? 'online' : 'offline';
    list.appendChild(li);
  }

  // Each tool is its own consent; the server adds view when control is allowed.
  var CONSENTS = ['view', 'control', 'files', 'sysinfo', 'shell', 'shell_elevated'];
  function sendConsent(changed) {
    var consent = {};
    CONSENTS.forEach(function (key) { consent[key] = $('consent-' + key).checked; });
    // Taking away view also takes away control, which needs it.
    if (changed === 'view' && !consent.view) consent.control = false;
    if (ws && ws.readyState === 1) ws.send(JSON.stringify({ type: 'consent:set', consent: consent }));
  }
  CONSENTS.forEach(function (key) {
    $('consent-' + key).addEventListener('change', function () { sendConsent(key); });
  });
  $('end').addEventListener('click', function () {
    if (!confirm('End the session? The technician will be disconnected.')) return;
    if (ws && ws.readyState === 1) ws.send(JSON.stringify({ type: 'session:end' }));
  });

  $('chat-form').addEventListener('submit', function (ev) {
    ev.preventDefault();
    var text = $('chat-input').value.trim();
    if (!text) return;
    var item = { clientId: 'p-' + Date.now().toString(36) + '-' + Math.random().toString(36).slice(2), text: text };
    outbox.push(item);
    keep();
    $('chat-input').value = '';
    addPending(item);
    sendChat(item);
  });

  function sendChat(item) {
    if (live && ws && ws.readyState === 1) ws.send(JSON.stringify({ type: 'chat:send', text: item.text, clientId: item.clientId }));
  }

  function messageItem(from, author, text) {
    var li = document.createElement('li');
    li.setAttribute('data-testid', 'portal-chat-message');
    li.className = from;
    var who = document.createElement('span');
    who.className = 'who';
    who.textContent = from === 'system' ? '' : author + ':';
    li.appendChild(who);
    var body = document.createElement('span');
    body.setAttribute('data-testid', 'portal-chat-text');
    body.textContent = text;
    li.appendChild(body);
    return li;
  }

  // Ours, not stored yet: last in the list, marked as sending.
  function addPending(item) {
    var li = messageItem('user', 'You', item.text);
    li.className += ' pending';
    li.setAttribute('data-client-id', item.clientId);
    var note = document.createElement('span');
    note.className = 'sending';
    note.setAttribute('data-testid', 'portal-chat-sending');
    note.textContent = ' sending…';
    li.appendChild(note);
    show(li, null);
  }

  // Stored messages in the server's order (a history after a reconnect may
  // hold some older than what is shown), before ours still sending.
  function addMessage(m) {
    if (seen[m.id]) return;
    seen[m.id] = true;
    var items = Array.prototype.slice.call($('messages').children);
    if (m.clientId) {
      // Our own message came back stored: drop it from the outbox and replace its pending copy.
      outbox = outbox.filter(function (o) { return o.clientId !== m.clientId; });
      keep();
      items = items.filter(function (li) {
        if (li.getAttribute('data-client-id') !== m.clientId) return true;
        li.remove();
        return false;
      });
    }
    var li = messageItem(m.from, m.author, m.text);
    li.setAttribute('data-id', String(m.id));
    var next = items.filter(function (el) { return el.hasAttribute('data-client-id') || Number(el.getAttribute('data-id')) > m.id; })[0];
    show(li, next || null);
  }

  function show(li, before) {
    $('messages').insertBefore(li, before);
    $('messages').scrollTop = $('messages').scrollHeight;
  }

  if (saved && saved.resumeKey) enterSession();
})();
