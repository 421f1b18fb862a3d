/* Conserje web chat widget: talks to Rasa's socket.io channel (user_uttered / bot_uttered).
 * The socket.io session id is kept in localStorage and sent in session_request, so a reload continues the
 * same conversation; the last messages are kept there too, to show them again. The page's own labels follow
 * navigator.language; the assistant answers in the guest's language by itself.
 * Photos (📷) and voice notes (🎤, MediaRecorder, at most two minutes) go to POST <base>upload with the session id
 * and the socket id; the assistant's answer arrives over the socket like any other (connectors/web.py). Answers to
 * a voice note carry `audio`, the URL of their words spoken: an <audio> player with controls under the bubble
 * (autoplay is tried, browsers may block it). */
(function () {
  "use strict";

  var LABELS = {
    es: { subtitle: "Tu conserje virtual", connecting: "Conectando…", online: "En línea",
          offline: "Sin conexión", placeholder: "Escribí tu mensaje…", send: "Enviar", typing: "Escribiendo…",
          attach: "Enviar una foto", record: "Grabar un audio", stop: "Terminar y enviar el audio",
          photo: "📷 Foto", voice: "🎤 Audio", failed: "No se pudo enviar el archivo.",
          noMic: "No puedo usar el micrófono en este navegador." },
    en: { subtitle: "Your virtual concierge", connecting: "Connecting…", online: "Online",
          offline: "Offline", placeholder: "Type your message…", send: "Send", typing: "Typing…",
          attach: "Send a photo", record: "Record a voice note", stop: "Stop and send the voice note",
          photo: "📷 Photo", voice: "🎤 Voice note", failed: "The file could not be sent.",
          noMic: "I can't use the microphone in this browser." }
  };
  var BASE = document.currentScript.src.replace(/widget\.js(\?.*)?$/, "");
  var RECORD_MAX_MS = 120000;
  var RECORDING_TYPES = ["audio/webm;codecs=opus", "audio/ogg;codecs=opus", "audio/mp4"];
  var SESSION_KEY = "conserje.session_id";
  var HISTORY_KEY = "conserje.history";
  var HISTORY_MAX = 60;
  var lang = /^en\b/i.test(navigator.language || "") ? "en" : "es";
  var text = LABELS[lang];

  var log = document.getElementById("cj-log");
  var form = document.getElementById("cj-form");
  var input = document.getElementById("cj-input");
  var sendButton = document.getElementById("cj-send");
  var status = document.getElementById("cj-status");
  var fileInput = document.getElementById("cj-file");
  var recordButton = document.getElementById("cj-record");
  var recorder = null;
  var sessionId = null;
  var typing = null;
  var speaking = null;

  document.documentElement.lang = lang;
  document.querySelectorAll("[data-label]").forEach(function (el) { el.textContent = text[el.dataset.label]; });
  document.querySelectorAll("[data-title]").forEach(function (el) {
    el.title = text[el.dataset.title];
    el.setAttribute("aria-label", el.title);
  });
  input.placeholder = text.placeholder;

  function history() {
    try { return JSON.parse(localStorage.getItem(HISTORY_KEY) || "[]"); } catch (e) { return []; }
  }

  function remember(entry) {
    var items = history().concat([entry]).slice(-HISTORY_MAX);
    localStorage.setItem(HISTORY_KEY, JSON.stringify(items));
  }

  function scroll() { log.scrollTop = log.scrollHeight; }

  function bubble(from, content, image) {
    var el = document.createElement("div");
    el.className = "cj-msg cj-" + from;
    if (image) {
      var img = document.createElement("img");
      img.src = image;
      img.alt = content || "";
      img.addEventListener("load", scroll);
      el.classList.add("cj-image");
      el.appendChild(img);
    } else {
      el.textContent = content;
    }
    log.appendChild(el);
    scroll();
  }

  // A location pin (custom payload {type: "location", latitude, longitude, name?, address?}) as a map link.
  function pin(place) {
    var lat = Number(place.latitude), lon = Number(place.longitude);
    if (!isFinite(lat) || !isFinite(lon)) { return; }
    var el = document.createElement("div");
    el.className = "cj-msg cj-bot cj-location";
    var link = document.createElement("a");
    link.href = "https://www.google.com/maps/search/?api=1&query=" + lat + "," + lon;
    link.target = "_blank";
    link.rel = "noopener";
    link.textContent = "📍 " + [place.name, place.address].filter(Boolean).join(" — ");
    el.appendChild(link);
    log.appendChild(el);
    scroll();
  }

  function player(url) {
    var audio = document.createElement("audio");
    audio.className = "cj-audio";
    audio.controls = true;
    audio.preload = "auto";
    audio.src = new URL(url, BASE).href;
    log.appendChild(audio);
    scroll();
    var previous = speaking;
    speaking = audio;
    function start() {
      var playing = audio.play();
      if (playing && playing.catch) { playing.catch(function () {}); }  // autoplay blocked: the controls remain
    }
    // One answer after the other: the next starts when the one playing ends.
    if (previous && !previous.paused && !previous.ended) { previous.addEventListener("ended", start); } else { start(); }
  }

  function buttons(replies) {
    var row = document.createElement("div");
    row.className = "cj-buttons";
    replies.forEach(function (reply) {
      var b = document.createElement("button");
      b.type = "button";
      b.textContent = reply.title;
      b.addEventListener("click", function () {
        row.querySelectorAll("button").forEach(function (other) { other.disabled = true; });
        send(reply.title, reply.payload);
      });
      row.appendChild(b);
    });
    log.appendChild(row);
    scroll();
  }

  function setTyping(on) {
    if (on && !typing) {
      typing = document.createElement("div");
      typing.className = "cj-typing";
      typing.textContent = text.typing;
      log.appendChild(typing);
      scroll();
    } else if (!on && typing) {
      typing.remove();
      typing = null;
    }
  }

  function send(shown, payload) {
    if (!sessionId || !shown.trim()) { return; }
    bubble("user", shown);
    remember({ from: "user", text: shown });
    socket.emit("user_uttered", { message: payload || shown, session_id: sessionId });
    setTyping(true);
  }

  function note(content) {
    var el = document.createElement("div");
    el.className = "cj-note";
    el.textContent = content;
    log.appendChild(el);
    scroll();
  }

  function upload(blob, filename, voice) {
    if (!sessionId) { return; }
    if (voice) { bubble("user", text.voice); } else { bubble("user", text.photo, URL.createObjectURL(blob)); }
    remember({ from: "user", text: voice ? text.voice : text.photo });
    var form = new FormData();
    form.append("file", blob, filename);
    form.append("session_id", sessionId);
    form.append("sid", socket.id);
    if (voice) { form.append("voice", "true"); }
    setTyping(true);
    fetch(BASE + "upload", { method: "POST", body: form }).then(function (reply) {
      if (!reply.ok) { throw new Error("upload refused: " + reply.status); }
    }).catch(function () {
      setTyping(false);
      note(text.failed);
    });
  }

  function record() {
    if (recorder) { recorder.stop(); return; }
    if (!navigator.mediaDevices || !window.MediaRecorder) { note(text.noMic); return; }
    navigator.mediaDevices.getUserMedia({ audio: true }).then(function (stream) {
      var type = RECORDING_TYPES.filter(function (t) { return MediaRecorder.isTypeSupported(t); })[0];
      var chunks = [];
      var current = new MediaRecorder(stream, type ? { mimeType: type } : undefined);
      var timer = setTimeout(function () { current.stop(); }, RECORD_MAX_MS);
      current.ondataavailable = function (event) { if (event.data.size) { chunks.push(event.data); } };
      current.onstop = function () {
        clearTimeout(timer);
        stream.getTracks().forEach(function (track) { track.stop(); });
        recorder = null;
        recordButton.classList.remove("cj-recording");
        recordButton.title = text.record;
        var blob = new Blob(chunks, { type: current.mimeType });
        var extension = /ogg/.test(current.mimeType) ? ".ogg" : /mp4/.test(current.mimeType) ? ".m4a" : ".webm";
        if (blob.size) { upload(blob, "voice" + extension, true); }
      };
      recorder = current;
      current.start();
      recordButton.classList.add("cj-recording");
      recordButton.title = text.stop;
    }).catch(function () { note(text.noMic); });
  }

  function receive(message) {
    setTyping(false);
    var image = message.attachment && message.attachment.type === "image" ? message.attachment.payload.src : null;
    if (image) {
      bubble("bot", message.text || "", image);
      remember({ from: "bot", image: image });
    } else if (message.text) {
      bubble("bot", message.text);
      remember({ from: "bot", text: message.text });
    }
    if (message.custom && message.custom.type === "location") {
      pin(message.custom);
      remember({ from: "bot", location: message.custom });
    }
    if (message.audio) { player(message.audio); }
    var replies = message.quick_replies || message.buttons || [];
    if (replies.length) { buttons(replies); }
  }

  history().forEach(function (entry) {
    if (entry.location) { pin(entry.location); } else { bubble(entry.from, entry.text || "", entry.image); }
  });

  var socket = io({ path: "/socket.io" });
  sendButton.disabled = true;

  socket.on("connect", function () {
    socket.emit("session_request", { session_id: localStorage.getItem(SESSION_KEY) });
  });
  socket.on("session_confirm", function (confirmed) {
    sessionId = typeof confirmed === "string" ? confirmed : confirmed.session_id;
    localStorage.setItem(SESSION_KEY, sessionId);
    status.textContent = text.online;
    sendButton.disabled = false;
    document.body.dataset.session = sessionId;
  });
  socket.on("disconnect", function () {
    status.textContent = text.offline;
    sendButton.disabled = true;
  });
  socket.on("bot_uttered", receive);

  fileInput.addEventListener("change", function () {
    var file = fileInput.files[0];
    fileInput.value = "";
    if (file) { upload(file, file.name, false); }
  });
  recordButton.addEventListener("click", record);

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    send(input.value);
    input.value = "";
    input.focus();
  });
})();
