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
  var retryMs = 500;
  var ended = false;
  var seen = {};
  // Messages typed while offline wait here and go out on reconnect; the
  // server drops duplicates by clientId, so nothing is lost or doubled.
  var outbox = [];

  // Both ways in end the same: a request, a resume key, and the client's command.
  function start(path, body, err) {
    err.hidden = true;
    fetch(path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })
      .then(function (res) { return res.json(); })
      .then(function (data) {
        if (data.error) { err.textContent = data.error.message; err.hidden = false; return; }
        saved = data;
        sessionStorage.setItem(STORE_KEY, JSON.stringify(data));
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
    connect();
  }

  function connect() {
    var proto = location.protocol === 'https:' ? 'wss:' : 'ws:';
    ws = new WebSocket(proto + '//' + location.host + '/ws');
    ws.onopen = function () {
      retryMs = 500;
      ws.send(JSON.stringify({ type: 'hello', role: 'portal', resumeKey: saved.resumeKey }));
      outbox.forEach(sendChat);
    };
    ws.onmessage = function (ev) {
      var msg;
      try { msg = JSON.parse(ev.data); } catch (e) { return; }
      if (msg.type === 'session:state') render(msg.state);
      else if (msg.type === 'chat:history') msg.messages.forEach(addMessage);
      else if (msg.type === 'chat:message') addMessage(msg.message);
      else if (msg.type === 'error') showError(msg);
    };
    ws.onclose = function () {
      if (ended) return;
      $('status').textContent = 'Connection lost, reconnecting…';
      setTimeout(connect, retryMs);
      retryMs = Math.min(retryMs * 2, 10000);
    };
  }

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
    $('chat-input').value = '';
    addMessage({ id: item.clientId, from: 'user', author: 'You', text: text, at: Date.now(), pending: true });
    sendChat(item);
  });

  function sendChat(item) {
    if (ws && ws.readyState === 1) ws.send(JSON.stringify({ type: 'chat:send', text: item.text, clientId: item.clientId }));
  }

  function addMessage(m) {
    if (seen[m.id]) return;
    seen[m.id] = true;
    if (!m.pending && m.clientId) {
      // Our own message came back stored: drop it from the outbox and replace its pending copy.
      outbox = outbox.filter(function (o) { return o.clientId !== m.clientId; });
      var pending = document.querySelector('[data-client-id="' + m.clientId + '"]');
      if (pending) pending.remove();
    }
    var li = document.createElement('li');
    li.setAttribute('data-testid', 'portal-chat-message');
    li.className = m.from + (m.pending ? ' pending' : '');
    if (m.pending) li.setAttribute('data-client-id', m.id);
    var who = document.createElement('span');
    who.className = 'who';
    who.textContent = m.from === 'system' ? '' : m.author + ':';
    li.appendChild(who);
    li.appendChild(document.createTextNode(m.text));
    $('messages').appendChild(li);
    $('messages').scrollTop = $('messages').scrollHeight;
  }

  if (saved && saved.resumeKey) enterSession();
})();
