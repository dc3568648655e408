/* Atelier Mistral chat widget, served by the Passerelle gateway.
 * Embed on any page: <script src="https://GATEWAY/chat/widget.js" defer></script>
 * The session id lives in localStorage, so a reload resumes the conversation; messages not yet acknowledged by
 * the gateway are sent again after a reconnect (the gateway drops the duplicates). */
(function () {
  "use strict";
  var script = document.currentScript;
  var origin = new URL(script ? script.src : location.href).origin;
  var lang = (navigator.language || "fr").slice(0, 2) === "en" ? "en" : "fr";
  var TEXT = {
    fr: {title: "Atelier Mistral — service client", placeholder: "Votre message…", send: "Envoyer", open: "Discuter"},
    en: {title: "Atelier Mistral — customer service", placeholder: "Your message…", send: "Send", open: "Chat"}
  }[lang];

  function token() {
    var bytes = new Uint8Array(12);
    crypto.getRandomValues(bytes);
    return Array.prototype.map.call(bytes, function (b) { return ("0" + b.toString(16)).slice(-2); }).join("");
  }
  var session = localStorage.getItem("passerelle-session");
  if (!session) { session = token(); localStorage.setItem("passerelle-session", session); }

  var root = document.createElement("div");
  root.id = "passerelle-chat";
  root.innerHTML =
    '<style>' +
    '#passerelle-chat{position:fixed;right:16px;bottom:16px;font:14px/1.4 system-ui,sans-serif;z-index:99999}' +
    '#passerelle-chat .pc-panel{width:320px;height:440px;display:none;flex-direction:column;background:#fff;' +
    'border:1px solid #ccc;border-radius:10px;box-shadow:0 4px 16px rgba(0,0,0,.2);overflow:hidden}' +
    '#passerelle-chat.open .pc-panel{display:flex}#passerelle-chat.open .pc-open{display:none}' +
    '#passerelle-chat header{background:#23395d;color:#fff;padding:10px;font-weight:600}' +
    '#passerelle-chat .pc-log{flex:1;overflow-y:auto;padding:8px}' +
    '#passerelle-chat .pc-msg{margin:4px 0;padding:6px 10px;border-radius:8px;max-width:85%;white-space:pre-wrap}' +
    '#passerelle-chat .pc-user{background:#dbe8ff;margin-left:auto}#passerelle-chat .pc-bot{background:#f1f1f1}' +
    '#passerelle-chat .pc-buttons button{margin:2px;border:1px solid #23395d;background:#fff;border-radius:6px}' +
    '#passerelle-chat form{display:flex;border-top:1px solid #ddd}#passerelle-chat input{flex:1;border:0;padding:10px}' +
    '#passerelle-chat .pc-open{background:#23395d;color:#fff;border:0;border-radius:20px;padding:10px 16px}' +
    '</style>' +
    '<button class="pc-open" type="button"></button>' +
    '<div class="pc-panel" role="dialog"><header></header><div class="pc-log" aria-live="polite"></div>' +
    '<form><input name="text" autocomplete="off"><button type="submit"></button></form></div>';
  document.body.appendChild(root);
  root.querySelector(".pc-open").textContent = TEXT.open;
  root.querySelector("header").textContent = TEXT.title;
  var input = root.querySelector("input");
  input.placeholder = TEXT.placeholder;
  input.setAttribute("aria-label", TEXT.placeholder);
  root.querySelector("form button").textContent = TEXT.send;
  var log = root.querySelector(".pc-log");

  function show(kind, text) {
    var div = document.createElement("div");
    div.className = "pc-msg pc-" + kind;
    div.textContent = text;  /* text only: nothing from the network is parsed as HTML */
    log.appendChild(div);
    log.scrollTop = log.scrollHeight;
    return div;
  }

  var socket = null, unacked = {}, delay = 500;
  function connect() {
    var url = origin.replace(/^http/, "ws") + "/chat/ws?session=" + session + "&lang=" + lang;
    socket = new WebSocket(url);
    socket.onopen = function () {
      delay = 500;
      Object.keys(unacked).forEach(function (id) { socket.send(JSON.stringify(unacked[id])); });
    };
    socket.onmessage = function (event) {
      var frame = JSON.parse(event.data);
      if (frame.type === "ack") { delete unacked[frame.id.split(":").pop()]; return; }
      if (frame.type !== "bot") { return; }
      if (frame.text) { show("bot", frame.text); }
      if (frame.image) {
        var img = document.createElement("img"); img.src = frame.image; img.alt = ""; img.style.maxWidth = "100%";
        log.appendChild(img);
      }
      if (frame.buttons && frame.buttons.length) {
        var row = document.createElement("div"); row.className = "pc-buttons";
        frame.buttons.forEach(function (b) {
          var button = document.createElement("button"); button.type = "button"; button.textContent = b.title;
          button.onclick = function () { send(b.payload, b.title); row.remove(); };
          row.appendChild(button);
        });
        log.appendChild(row);
      }
    };
    socket.onclose = function () { setTimeout(connect, delay); delay = Math.min(delay * 2, 10000); };
  }

  function send(text, shown) {
    var frame = {id: token(), text: text};
    unacked[frame.id] = frame;
    show("user", shown || text);
    if (socket && socket.readyState === WebSocket.OPEN) { socket.send(JSON.stringify(frame)); }
  }

  root.querySelector(".pc-open").onclick = function () { root.classList.add("open"); input.focus(); };
  root.querySelector("form").onsubmit = function (event) {
    event.preventDefault();
    var text = input.value.trim();
    if (text) { send(text); input.value = ""; }
  };
  connect();
})();
