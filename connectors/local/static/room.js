// The built-in live room's viewer page: the stage over WebRTC, the product shelf and the chat.
// No build step, no dependency. Everything viewers send is text; everything shown is set as textContent.
"use strict";

(() => {
  const room = document.body.dataset.room;
  const base = `/live/${encodeURIComponent(room)}`;
  const $ = (id) => document.getElementById(id);
  const english = document.documentElement.lang.toLowerCase().startsWith("en");
  const T = english ? {
    watching: "watching", chat: "Live chat", placeholder: "Say something…", send: "Send", shelf: "In this show",
    items: (n) => `${n} item${n === 1 ? "" : "s"}`, onStage: "On stage", sound: "Tap for sound",
    offTitle: "The show starts soon", offSub: "Stay here — the host will be with you in a moment.",
    lostTitle: "Reconnecting…", lostSub: "The stream dropped; joining again.",
    fullTitle: "The room is full", fullSub: "Try again in a minute.",
    host: "Host", viewerPrefix: "Viewer", nameLabel: "Your name in the chat", save: "Save", cancel: "Cancel",
    slow: "You are sending comments too fast; wait a moment.", offline: "Could not send: no connection.",
    quick: (link) => [`How much is link ${link}?`, "Free shipping?", "Still in stock?", "How do I order?"],
    ask: (link) => `Link ${link}: `, welcome: "Welcome! Ask the host anything about the products.",
    rename: "Change your name",
  } : {
    watching: "人在看", chat: "直播互动", placeholder: "说点什么…", send: "发送", shelf: "本场商品",
    items: (n) => `共 ${n} 件`, onStage: "讲解中", sound: "点击开启声音",
    offTitle: "直播马上开始", offSub: "请稍候，主播马上就来～", lostTitle: "正在重新连接…", lostSub: "画面中断了，正在重新进入直播间。",
    fullTitle: "直播间人数已满", fullSub: "请稍后再试。",
    host: "主播", viewerPrefix: "观众", nameLabel: "你在聊天里的名字", save: "保存", cancel: "取消",
    slow: "发言太快了，请稍等片刻再发。", offline: "发送失败：网络未连接。",
    quick: (link) => [`${link}号链接多少钱`, "包邮吗", "还有货吗", "怎么下单"],
    ask: (link) => `${link}号链接`, welcome: "欢迎来到直播间！商品有任何问题都可以问主播哦～",
    rename: "修改昵称",
  };
  const HIDDEN_KINDS = new Set(["pitch", "idle", "fill", "filler", "script", "countdown", "promotion"]);
  const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

  // -- identity: a random id kept in this browser, and the name the viewer chose ---------------------
  function randomId(bytes) {
    const data = new Uint8Array(bytes);
    crypto.getRandomValues(data); // works on plain http too, unlike crypto.randomUUID
    return Array.from(data, (b) => b.toString(16).padStart(2, "0")).join("");
  }
  function storage(key, value) {
    try {
      if (value === undefined) return localStorage.getItem(key);
      localStorage.setItem(key, value);
    } catch (error) { /* private mode: keep it for this visit only */ }
    return value === undefined ? null : value;
  }
  const viewerId = storage("livehub.viewer") || storage("livehub.viewer", randomId(12));
  const defaultName = T.viewerPrefix + viewerId.replace(/[^A-Za-z0-9]/g, "").slice(-4);
  let viewerName = storage("livehub.name") || defaultName;

  // -- static text ------------------------------------------------------------------------------------
  $("viewers-label").textContent = T.watching;
  $("chat-title").textContent = T.chat;
  $("comment-input").placeholder = T.placeholder;
  $("send-button").textContent = T.send;
  $("shelf-title").textContent = T.shelf;
  $("unmute-label").textContent = T.sound;
  $("name-label").textContent = T.nameLabel;
  $("name-save").textContent = T.save;
  $("name-cancel").textContent = T.cancel;
  $("name-chip").title = T.rename;
  const showName = () => { $("name-chip").textContent = viewerName; };
  showName();

  // -- stage: WebRTC (WHIP-style signalling on /live/<room>/webrtc) --------------------------------------
  const video = $("stage-video");
  const offair = $("offair");
  const unmute = $("unmute");
  // window.livehub: the page's state for tests and curious viewers (captions: what the host said, as heard).
  window.livehub = { room, viewerId, video, pc: null, stream: null, session: null, state: "connecting", captions: [] };

  function showOffair(title, sub) {
    $("offair-title").textContent = title;
    $("offair-sub").textContent = sub;
    offair.classList.remove("gone");
    $("live-dot").classList.remove("on");
  }
  function gathered(pc, ms) {
    if (pc.iceGatheringState === "complete") return Promise.resolve();
    return new Promise((resolve) => {
      pc.addEventListener("icegatheringstatechange", () => { if (pc.iceGatheringState === "complete") resolve(); });
      setTimeout(resolve, ms);
    });
  }
  async function startPlayback() {
    video.muted = false;
    try {
      await video.play();
      unmute.hidden = true;
    } catch (error) { // autoplay with sound refused until the viewer touches the page
      video.muted = true;
      unmute.hidden = false;
      try { await video.play(); } catch (ignored) { /* shown once a frame arrives */ }
    }
  }
  unmute.addEventListener("click", async () => {
    video.muted = false;
    try { await video.play(); unmute.hidden = true; } catch (error) { video.muted = true; }
  });

  async function watchOnce() {
    const pc = new RTCPeerConnection({ iceServers: [] });
    pc.addTransceiver("video", { direction: "recvonly" });
    pc.addTransceiver("audio", { direction: "recvonly" });
    const stream = new MediaStream();
    pc.ontrack = (event) => {
      stream.addTrack(event.track);
      if (video.srcObject !== stream) video.srcObject = stream;
    };
    await pc.setLocalDescription(await pc.createOffer());
    await gathered(pc, 2000);
    const response = await fetch(`${base}/webrtc`, {
      method: "POST", headers: { "Content-Type": "application/sdp" }, body: pc.localDescription.sdp });
    if (response.status !== 201) {
      pc.close();
      return response.status;
    }
    const session = response.headers.get("Location");
    await pc.setRemoteDescription({ type: "answer", sdp: await response.text() });
    Object.assign(window.livehub, { pc, stream, session, state: "connecting" });
    const ended = new Promise((resolve) => {
      let timer = null;
      pc.addEventListener("connectionstatechange", () => {
        window.livehub.state = pc.connectionState;
        clearTimeout(timer);
        if (pc.connectionState === "connected") {
          offair.classList.add("gone");
          $("live-dot").classList.add("on");
          startPlayback();
        } else if (pc.connectionState === "failed" || pc.connectionState === "closed") {
          resolve();
        } else if (pc.connectionState === "disconnected") {
          timer = setTimeout(resolve, 4000);
        }
      });
    });
    await ended;
    fetch(session, { method: "DELETE", keepalive: true }).catch(() => {});
    pc.close();
    return 0;
  }
  async function watch() {
    for (;;) {
      let status = -1;
      try { status = await watchOnce(); } catch (error) { status = -1; }
      if (status === 503) showOffair(T.fullTitle, T.fullSub);
      else if (status === 0) showOffair(T.lostTitle, T.lostSub);
      else showOffair(T.offTitle, T.offSub);
      window.livehub.state = status === 404 ? "offair" : "retrying";
      await sleep(status === 0 ? 1000 : 3000);
    }
  }
  addEventListener("pagehide", () => {
    if (window.livehub.session) fetch(window.livehub.session, { method: "DELETE", keepalive: true }).catch(() => {});
  });

  // -- product shelf ---------------------------------------------------------------------------------------
  let products = [];
  let stageSku = null;
  function money(value, currency) {
    try {
      return new Intl.NumberFormat(document.documentElement.lang || undefined,
        { style: "currency", currency, minimumFractionDigits: 0, maximumFractionDigits: 2 }).format(Number(value));
    } catch (error) { // an unknown currency code
      return `${currency} ${Number(value)}`;
    }
  }

  function renderProducts() {
    const list = $("products");
    list.replaceChildren();
    for (const p of products) {
      const li = document.createElement("li");
      li.className = "product" + (p.sku === stageSku ? " on-stage" : "");
      li.dataset.sku = p.sku;
      li.dataset.testid = "product";
      const picture = document.createElement(p.image ? "img" : "div");
      if (p.image) {
        picture.src = p.image;
        picture.alt = "";
        picture.loading = "lazy";
        picture.addEventListener("error", () => {
          const blank = document.createElement("div");
          blank.className = "noimg";
          picture.replaceWith(blank);
        });
      } else picture.className = "noimg";
      const link = document.createElement("span");
      link.className = "link";
      link.textContent = p.link;
      const info = document.createElement("div");
      info.className = "info";
      const name = document.createElement("div");
      name.className = "name";
      name.textContent = p.name;
      const price = document.createElement("div");
      price.className = "price";
      price.textContent = money(p.promo_price || p.price, p.currency);
      if (p.promo_price) {
        const was = document.createElement("span");
        was.className = "was";
        was.textContent = money(p.price, p.currency);
        price.append(was);
      }
      const tag = document.createElement("span");
      tag.className = "tag";
      tag.textContent = T.onStage;
      info.append(name, price);
      li.append(picture, link, info, tag);
      li.addEventListener("click", () => {
        const input = $("comment-input");
        input.value = T.ask(p.link);
        input.focus();
      });
      list.append(li);
    }
    $("shelf").hidden = products.length === 0;
    $("shelf-count").textContent = T.items(products.length);
    renderQuick();
  }
  function renderQuick() {
    const onStage = products.find((p) => p.sku === stageSku) || products[0];
    const box = $("quick");
    box.replaceChildren();
    for (const text of T.quick(onStage ? onStage.link : 1)) {
      const button = document.createElement("button");
      button.type = "button";
      button.textContent = text;
      button.addEventListener("click", () => send(text));
      box.append(button);
    }
  }
  async function loadInfo() {
    try {
      const response = await fetch(`${base}/info`);
      if (!response.ok) return;
      const data = await response.json();
      products = data.products || [];
      if (data.max_comment_chars) $("comment-input").maxLength = data.max_comment_chars;
      if (data.stage_sku) stageSku = data.stage_sku;
      $("shop-name").textContent = data.title;
      $("shop-avatar").textContent = Array.from(data.title || "★")[0];
      document.title = data.title;
      renderProducts();
    } catch (error) { /* keep what is shown */ }
  }

  // -- chat -------------------------------------------------------------------------------------------------
  const log = $("chat-log");
  const seen = new Set();
  const MAX_ITEMS = 200;
  const nearBottom = () => log.scrollHeight - log.scrollTop - log.clientHeight < 80;

  function addMessage(m, mine = false, quiet = false) {
    if (!m || !m.text || (m.id && seen.has(m.id))) return;
    if (m.id) seen.add(m.id);
    if (m.author === "host" && HIDDEN_KINDS.has(m.kind)) return; // pitch lines are heard and captioned on stage
    const stick = nearBottom() || mine;
    const li = document.createElement("li");
    li.className = `msg ${m.author === "host" ? "host" : "viewer"}${mine ? " mine" : ""}`;
    li.dataset.testid = "chat-message";
    li.dataset.author = m.author === "host" ? "host" : "viewer";
    if (m.kind) li.dataset.kind = m.kind;
    if (m.channel) li.dataset.channel = m.channel;
    const who = document.createElement("span");
    who.className = "who";
    if (m.author === "host") {
      who.dataset.badge = T.host;
      who.textContent = m.name && m.name !== T.host ? m.name : "";
    } else who.textContent = m.name || "";
    const text = document.createElement("span");
    text.className = "text";
    text.textContent = m.text;
    li.append(who, text);
    log.append(li);
    while (log.children.length > MAX_ITEMS) log.firstElementChild.remove();
    if (stick) log.scrollTop = log.scrollHeight;
    else if (!quiet) $("new-below").hidden = false;
  }
  function systemLine(text) {
    const li = document.createElement("li");
    li.className = "msg system";
    li.textContent = text;
    log.append(li);
  }
  log.addEventListener("scroll", () => { if (nearBottom()) $("new-below").hidden = true; });
  $("new-below").addEventListener("click", () => { log.scrollTop = log.scrollHeight; $("new-below").hidden = true; });

  function handle(message) {
    if (message.type === "hello") {
      (message.history || []).forEach((m) => addMessage(m, false, true));
      log.scrollTop = log.scrollHeight;
      $("viewers").textContent = message.viewers;
      if (message.stage_sku !== undefined && message.stage_sku !== stageSku) { stageSku = message.stage_sku; renderProducts(); }
    } else if (message.type === "chat") {
      addMessage(message);
    } else if (message.type === "caption") {
      window.livehub.captions.push({ text: message.text, ts: message.ts });
      if (window.livehub.captions.length > 100) window.livehub.captions.shift();
    } else if (message.type === "viewers") {
      $("viewers").textContent = message.count;
    } else if (message.type === "stage") {
      stageSku = message.sku;
      renderProducts();
    }
  }
  async function follow() {
    let delay = 1000;
    for (;;) {
      const scheme = location.protocol === "https:" ? "wss" : "ws";
      const query = new URLSearchParams({ viewer_id: viewerId, name: viewerName });
      const ws = new WebSocket(`${scheme}://${location.host}${base}/feed?${query}`);
      window.livehub.feed = ws;
      await new Promise((resolve) => {
        ws.onopen = () => { delay = 1000; };
        ws.onmessage = (event) => { try { handle(JSON.parse(event.data)); } catch (error) { /* ignore */ } };
        ws.onclose = resolve;
      });
      await sleep(delay);
      delay = Math.min(delay * 2, 15000);
    }
  }

  // -- sending ----------------------------------------------------------------------------------------------
  let toastTimer = null;
  function toast(text) {
    const box = $("toast");
    box.textContent = text;
    box.hidden = false;
    clearTimeout(toastTimer);
    toastTimer = setTimeout(() => { box.hidden = true; }, 3500);
  }
  async function send(raw) {
    const text = raw.trim();
    if (!text) return false;
    // The message id is made once, so a retry after a network error is recognised as the same comment.
    const body = JSON.stringify({ name: viewerName, text, viewer_id: viewerId, message_id: randomId(16) });
    for (let attempt = 0; attempt < 3; attempt += 1) {
      let response;
      try {
        response = await fetch(`${base}/comments`, { method: "POST", headers: { "Content-Type": "application/json" }, body });
      } catch (error) {
        await sleep(700 * (attempt + 1));
        continue;
      }
      const data = await response.json().catch(() => ({}));
      if (response.status === 202 || response.status === 200) {
        // The hub answers with the id only (it never echoes text back): show what was sent.
        addMessage({ id: data.id, author: "viewer", name: viewerName, text, kind: "comment" }, true);
        return true;
      }
      if (response.status === 429) toast(T.slow);
      else if (response.status >= 500 && attempt < 2) { await sleep(700 * (attempt + 1)); continue; }
      else toast(data.error || `HTTP ${response.status}`);
      return false;
    }
    toast(T.offline);
    return false;
  }
  $("composer").addEventListener("submit", async (event) => {
    event.preventDefault();
    const input = $("comment-input");
    const button = $("send-button");
    if (!input.value.trim()) return;
    button.disabled = true;
    const sent = await send(input.value);
    button.disabled = false;
    if (sent) input.value = "";
    input.focus();
  });

  // -- name -----------------------------------------------------------------------------------------------
  $("name-chip").addEventListener("click", () => {
    $("name-input").value = viewerName;
    $("name-dialog").showModal();
  });
  $("name-dialog").addEventListener("close", () => {
    if ($("name-dialog").returnValue !== "save") return;
    const chosen = $("name-input").value.replace(/\s+/g, " ").trim().slice(0, 24);
    viewerName = chosen || defaultName;
    storage("livehub.name", viewerName);
    showName();
  });

  systemLine(T.welcome);
  renderQuick();
  loadInfo();
  setInterval(loadInfo, 30000);
  follow();
  watch();
})();
