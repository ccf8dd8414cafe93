// The operator console: drives the room control API (/api/v1/rooms/...) with the API token.
// The token is asked for only when the hub answers 401, and kept in this tab's sessionStorage.
"use strict";

(() => {
  const $ = (id) => document.getElementById(id);
  const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
  const TOKEN_KEY = "livehub.token";
  const ROOM_KEY = "livehub.console.room";
  const COUNTERS = ["comments", "answered", "aggregated", "dropped", "blocked"];

  // A token in the URL fragment (#token=...) is taken once and removed from the address bar.
  const fragment = new URLSearchParams(location.hash.slice(1));
  if (fragment.get("token")) {
    sessionStorage.setItem(TOKEN_KEY, fragment.get("token"));
    history.replaceState(null, "", location.pathname + location.search);
  }
  let token = sessionStorage.getItem(TOKEN_KEY) || "";
  let room = new URLSearchParams(location.search).get("room") || sessionStorage.getItem(ROOM_KEY) || "";
  let asking = null;
  const pinned = new Set();
  window.livehubConsole = { get room() { return room; }, state: null, audit: [], errors: 0 };

  class Unauthorized extends Error {}

  function toast(text, ok = false) {
    const box = $("toast");
    box.textContent = text;
    box.className = ok ? "toast ok" : "toast";
    box.hidden = false;
    clearTimeout(toast.timer);
    toast.timer = setTimeout(() => { box.hidden = true; }, ok ? 2000 : 5000);
  }
  function connected(ok) { $("conn").className = ok ? "conn ok" : "conn"; }

  function askToken() {
    if (asking) return asking;
    asking = new Promise((resolve) => {
      const dialog = $("token-dialog");
      $("token-input").value = "";
      dialog.onclose = () => {
        asking = null;
        if (dialog.returnValue === "save" && $("token-input").value.trim()) {
          token = $("token-input").value.trim();
          sessionStorage.setItem(TOKEN_KEY, token);
          closePreview();
          refreshAll();
        }
        resolve();
      };
      dialog.showModal();
    });
    return asking;
  }
  $("token-button").addEventListener("click", () => askToken());

  async function api(method, path, body) {
    const headers = {};
    if (token) headers.Authorization = `Bearer ${token}`;
    if (body !== undefined) headers["Content-Type"] = "application/json";
    const response = await fetch(`/api/v1${path}`, { method, headers,
      body: body === undefined ? undefined : JSON.stringify(body) });
    if (response.status === 401) {
      connected(false);
      askToken();
      throw new Unauthorized("a valid API token is required");
    }
    const data = await response.json().catch(() => ({}));
    if (!response.ok) throw new Error(data.error || `HTTP ${response.status}`);
    connected(true);
    return data;
  }
  const roomPath = (suffix = "") => `/rooms/${encodeURIComponent(room)}${suffix}`;

  async function act(label, method, path, body) {
    try {
      await api(method, path, body);
      toast(label, true);
      refreshState();
      refreshAudit();
      return true;
    } catch (error) {
      if (!(error instanceof Unauthorized)) toast(`${label} failed: ${error.message}`);
      return false;
    }
  }

  Object.assign(window.livehubConsole, { api, act, toast, roomPath, Unauthorized });  // for the other panels' scripts

  // -- rooms, shows, products ----------------------------------------------------------------------------
  function fill(select, items, selected) {
    const old = select.value;
    select.replaceChildren(...items.map(([value, text]) => {
      const option = document.createElement("option");
      option.value = value;
      option.textContent = text;
      return option;
    }));
    const wanted = selected !== undefined ? selected : old;
    if (items.some(([value]) => value === wanted)) select.value = wanted;
  }
  async function loadRooms() {
    const data = await api("GET", "/rooms");
    const rooms = (Array.isArray(data) ? data : data.rooms || []).map((r) => (typeof r === "string" ? r : r.room || r.name));
    if (!room || !rooms.includes(room)) room = rooms[0] || "main";
    sessionStorage.setItem(ROOM_KEY, room);
    fill($("room-select"), (rooms.length ? rooms : [room]).map((r) => [r, r]), room);
  }
  async function loadShows() {
    const data = await api("GET", "/shows").catch(() => ({ shows: [] }));
    const shows = (Array.isArray(data) ? data : data.shows || []).map((s) => (typeof s === "string" ? s : s.name));
    fill($("show-select"), shows.map((s) => [s, s]));
  }
  let products = [];
  async function loadProducts() {
    const data = await api("GET", `/catalog?room=${encodeURIComponent(room)}`);
    products = data.products || [];
    renderStageSelect(window.livehubConsole.state ? window.livehubConsole.state.stage_sku : null);
  }
  function renderStageSelect(sku) {
    const select = $("stage-select");
    if (document.activeElement === select) return;
    const items = [["", "— nothing on stage —"], ...products.map((p) => {
      const price = p.promo_price ? `¥${p.promo_price} (was ¥${p.price})` : `¥${p.price}`;
      return [p.sku, `${p.link}. ${p.name} · ${price}`];
    })];
    fill(select, items, sku || "");
  }
  $("room-select").addEventListener("change", () => {
    room = $("room-select").value;
    sessionStorage.setItem(ROOM_KEY, room);
    restartPreview();
    refreshAll();
  });
  $("stage-select").addEventListener("change", () => {
    const sku = $("stage-select").value;
    if (sku) act(`On stage: ${sku}`, "POST", roomPath("/stage"), { sku });
  });
  $("pause-button").addEventListener("click", () => act("Pitch paused", "POST", roomPath("/pause")));
  $("resume-button").addEventListener("click", () => act("Pitch resumed", "POST", roomPath("/resume")));
  $("start-button").addEventListener("click", () => {
    const show = $("show-select").value;
    if (show) act(`Show ${show} started`, "POST", roomPath("/show/start"), { show });
  });
  $("stop-button").addEventListener("click", () => act("Show stopped", "POST", roomPath("/show/stop")));
  $("takeover-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const input = $("takeover-input");
    const text = input.value.trim();
    if (!text) return;
    $("takeover-send").disabled = true;
    if (await act("Takeover sent", "POST", roomPath("/takeover"), { text })) input.value = "";
    $("takeover-send").disabled = false;
  });
  $("takeover-input").addEventListener("keydown", (event) => {
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) $("takeover-form").requestSubmit();
  });

  // -- room state ------------------------------------------------------------------------------------------
  function renderState(state) {
    window.livehubConsole.state = state;
    const pill = $("show-pill");
    const running = Boolean(state.running);
    pill.textContent = running ? (state.paused ? "PAUSED" : "ON AIR") : (state.on_air ? "ON AIR · no show" : "OFF AIR");
    pill.className = "pill" + (running ? (state.paused ? " paused" : " live") : "");
    const segment = state.segment && typeof state.segment === "object"
      ? `segment ${(state.segment.index ?? 0) + 1}${state.segment.sku ? ` · ${state.segment.sku}` : ""}` : "";
    $("show-detail").textContent = [state.show ? `show ${typeof state.show === "string" ? state.show : state.show.name}` : "",
      segment, state.stage_sku ? `on stage ${state.stage_sku}` : ""].filter(Boolean).join(" · ");
    $("pause-button").disabled = !running || Boolean(state.paused);
    $("resume-button").disabled = !running || !state.paused;
    $("stop-button").disabled = !running;
    $("start-button").disabled = running;
    const showName = typeof state.show === "string" ? state.show : state.show && state.show.name;
    const showSelect = $("show-select");
    if (showName && document.activeElement !== showSelect && [...showSelect.options].some((o) => o.value === showName)) {
      showSelect.value = showName;
    }
    const counters = state.counters || {};
    for (const name of COUNTERS) $(`counter-${name}`).textContent = counters[name] ?? 0;
    renderStageSelect(state.stage_sku);
    renderQueue(state.queue || []);
    renderStates(state.connectors || [], state.outputs || []);
  }
  function renderQueue(queue) {
    const list = $("queue");
    list.replaceChildren();
    for (const item of queue) {
      const li = document.createElement("li");
      const isPinned = pinned.has(item.id) || item.pinned;
      li.className = "queue-item" + (item.approved ? " approved" : "") + (isPinned ? " pinned" : "");
      li.dataset.testid = "queue-item";
      li.dataset.id = item.id;
      const meta = document.createElement("div");
      meta.className = "meta";
      const intent = document.createElement("span");
      intent.className = "intent";
      intent.textContent = item.intent || item.kind || "question";
      const who = document.createElement("span");
      who.textContent = [item.author, item.askers > 1 ? `+${item.askers - 1} asking` : "", item.sku || "",
        `${Math.round(item.waiting_s || 0)} s`].filter(Boolean).join(" · ");
      meta.append(intent, who);
      const text = document.createElement("div");
      text.className = "text";
      text.textContent = item.text || (item.kind === "thanks"
        ? `thank-you for ${item.askers} viewer${item.askers === 1 ? "" : "s"}` : "");
      const actions = document.createElement("div");
      actions.className = "actions";
      const button = (label, testid, onClick) => {
        const b = document.createElement("button");
        b.type = "button";
        b.textContent = label;
        b.dataset.testid = testid;
        b.addEventListener("click", onClick);
        actions.append(b);
      };
      const itemPath = (verb) => roomPath(`/queue/${encodeURIComponent(item.id)}/${verb}`);
      button(item.approved ? "✓ Next" : "Approve", "approve-button", () => act("Approved: answered next", "POST", itemPath("approve")));
      button("Skip", "skip-button", () => act("Skipped", "POST", itemPath("skip")));
      button(isPinned ? "Unpin" : "Pin", "pin-button", async () => {
        if (await act(isPinned ? "Unpinned" : "Pinned on screen", "POST", itemPath(isPinned ? "unpin" : "pin"))) {
          if (isPinned) pinned.delete(item.id); else { pinned.clear(); pinned.add(item.id); }
        }
      });
      li.append(meta, text, actions);
      list.append(li);
    }
    $("queue-empty").hidden = queue.length > 0;
    $("queue-count").textContent = queue.length ? `${queue.length} waiting` : "";
  }
  function stateClass(state) {
    if (["ready", "live", "running"].includes(state)) return "good";
    if (["failed", "auth_failed", "stopped"].includes(state)) return "bad";
    return "warn";
  }
  function renderStates(connectors, outputs) {
    const list = $("states");
    list.replaceChildren();
    const chat = (c) => (c.outbox && c.can_send_chat
      ? ` · chat ${c.outbox.sent} sent, ${c.outbox.delayed} delayed, ${c.outbox.dropped} dropped` : "");
    const crm = (c) => (c.kind === "crm" && c.outbox
      ? ` · outbox ${c.outbox.pending} pending, ${c.outbox.sent} sent, ${c.outbox.failed} failed` : "");
    const rows = [...connectors.map((c) => [`connector ${c.name}${c.type ? ` (${c.type})` : ""}${c.room ? ` → ${c.room}` : ""}${chat(c)}${crm(c)}`,
      c.state, c.last_error]),
      ...outputs.map((o) => [`output ${o.name || o.label || o.output}`, o.state, o.detail])];
    for (const [name, state, detail] of rows) {
      const li = document.createElement("li");
      li.dataset.testid = "state-row";
      const label = document.createElement("span");
      label.textContent = name;
      if (detail) label.title = detail;
      const value = document.createElement("span");
      value.className = `state ${stateClass(state)}`;
      value.textContent = state || "?";
      li.append(label, value);
      list.append(li);
    }
    if (!rows.length) {
      const li = document.createElement("li");
      li.textContent = "none";
      list.append(li);
    }
  }
  async function refreshState() {
    if (!room) return;
    try {
      renderState(await api("GET", roomPath("/state")));
    } catch (error) {
      window.livehubConsole.errors += 1;
      if (!(error instanceof Unauthorized)) connected(false);
    }
  }

  // -- sales (orders and GMV of the room, net of refunds) ------------------------------------------------------
  function money(amounts) {
    const entries = Object.entries(amounts || {});
    return entries.length ? entries.map(([currency, amount]) => `${currency} ${amount}`).join(" · ") : "—";
  }
  async function refreshSales() {
    if (!room) return;
    try {
      const data = await api("GET", roomPath("/sales"));
      window.livehubConsole.sales = data;
      $("sales-orders").textContent = String(data.orders);
      $("sales-units").textContent = String(data.units);
      $("sales-gmv").textContent = money(data.gmv);
      $("sales-minute").textContent = data.last_minute_units ? `${data.last_minute_units} sold in the last minute` : "";
      $("sales-recent").replaceChildren(...(data.recent || []).slice(0, 12).map((line) => {
        const li = document.createElement("li");
        li.dataset.testid = "sales-line";
        li.className = line.status === "refunded" ? "viewer refund" : "viewer";
        const when = document.createElement("span");
        when.className = "tag";
        when.textContent = new Date(line.at * 1000).toLocaleTimeString();
        const text = document.createElement("span");
        const amount = line.amount === null ? "" : ` ${line.currency} ${line.amount}`;
        const sign = line.status === "refunded" ? "refund " : "";
        text.textContent = `${sign}${line.qty} × ${line.sku}${amount}${line.buyer ? ` — ${line.buyer}` : ""} (${line.source})`;
        li.append(when, text);
        return li;
      }));
    } catch (error) { /* shown by the connection dot */ }
  }

  // -- audit log ---------------------------------------------------------------------------------------------
  async function refreshAudit() {
    try {
      const data = await api("GET", "/audit?limit=30");
      window.livehubConsole.audit = data.entries || [];
      const list = $("audit");
      list.replaceChildren(...window.livehubConsole.audit.map((entry) => {
        const li = document.createElement("li");
        li.dataset.testid = "audit-entry";
        li.dataset.action = entry.action;
        const when = document.createElement("span");
        when.className = "tag";
        when.textContent = new Date(entry.ts * 1000).toLocaleTimeString();
        const action = document.createElement("span");
        action.className = "action";
        action.textContent = entry.action;
        const rest = document.createElement("span");
        const detail = entry.detail && entry.detail.text ? ` “${entry.detail.text}”` : "";
        rest.textContent = `${entry.actor}${entry.target ? ` → ${entry.target}` : ""}${detail}`;
        li.append(when, action, rest);
        return li;
      }));
    } catch (error) { /* shown by the connection dot */ }
  }

  // -- live events (what the host says, what viewers write) ---------------------------------------------------
  function addLive(event) {
    if (event.room !== room) return;
    const list = $("live");
    const li = document.createElement("li");
    if (event.type === "operator_alert") {
      li.className = "alert";
      li.dataset.testid = "alert";
      const tag = document.createElement("span");
      tag.className = "tag";
      tag.textContent = "alert";
      const text = document.createElement("span");
      const reasons = (event.reasons || []).join("; ");
      text.textContent = `${event.message}: “${event.text}”${reasons ? ` (${reasons})` : ""}`;
      li.append(tag, text);
      list.prepend(li);
      toast(event.message);
      return;
    }
    const host = event.type === "reply";
    li.className = host ? "host" : "viewer";
    li.dataset.testid = "live-line";
    if (host) { li.dataset.kind = event.kind; li.dataset.channel = event.channel; }
    const tag = document.createElement("span");
    tag.className = "tag";
    tag.textContent = host ? `${event.kind} · ${event.channel}` : (event.user && event.user.name) || "viewer";
    const text = document.createElement("span");
    text.textContent = event.text;
    li.append(tag, text);
    list.prepend(li);
    while (list.children.length > 100) list.lastElementChild.remove();
  }
  async function followEvents() {
    for (;;) {
      const scheme = location.protocol === "https:" ? "wss" : "ws";
      const query = new URLSearchParams({ types: "reply,comment,operator_alert" });
      if (token) query.set("token", token);
      const ws = new WebSocket(`${scheme}://${location.host}/api/v1/events/ws?${query}`);
      await new Promise((resolve) => {
        ws.onmessage = (message) => { try { addLive(JSON.parse(message.data)); } catch (error) { /* skip */ } };
        ws.onclose = resolve;
      });
      await sleep(2000);
    }
  }

  // Offers carry every candidate (no trickle ICE): wait for gathering, at most 2 s on a LAN.
  function iceGathered(pc) {
    return new Promise((resolve) => {
      if (pc.iceGatheringState === "complete") resolve();
      pc.addEventListener("icegatheringstatechange", () => { if (pc.iceGatheringState === "complete") resolve(); });
      setTimeout(resolve, 2000);
    });
  }

  // -- preview (WebRTC, token-protected signalling) -------------------------------------------------------------
  const video = $("preview-video");
  let previewPc = null;
  let previewSession = null;
  $("preview-sound").addEventListener("click", () => {
    video.muted = !video.muted;
    video.play().catch(() => {});
    $("preview-sound").textContent = video.muted ? "Sound off" : "Sound on";
    $("preview-sound").classList.toggle("on", !video.muted);
  });
  function closePreview() {
    if (previewSession) {
      const headers = token ? { Authorization: `Bearer ${token}` } : {};
      fetch(previewSession, { method: "DELETE", headers, keepalive: true }).catch(() => {});
    }
    if (previewPc) previewPc.close();
    previewPc = null;
    previewSession = null;
  }
  function restartPreview() { closePreview(); }
  async function previewOnce() {
    const pc = new RTCPeerConnection({ iceServers: [] });
    previewPc = pc;
    pc.addTransceiver("video", { direction: "recvonly" });
    pc.addTransceiver("audio", { direction: "recvonly" });
    const stream = new MediaStream();
    pc.ontrack = (event) => { stream.addTrack(event.track); video.srcObject = stream; };
    await pc.setLocalDescription(await pc.createOffer());
    await iceGathered(pc);
    const headers = { "Content-Type": "application/sdp" };
    if (token) headers.Authorization = `Bearer ${token}`;
    const response = await fetch(`/api/v1${roomPath("/webrtc")}`, { method: "POST", headers, body: pc.localDescription.sdp });
    if (response.status !== 201) { pc.close(); previewPc = null; return; }
    previewSession = response.headers.get("Location");
    await pc.setRemoteDescription({ type: "answer", sdp: await response.text() });
    $("preview-off").hidden = true;
    await new Promise((resolve) => {
      const check = () => {
        if (previewPc !== pc || ["failed", "closed", "disconnected"].includes(pc.connectionState)) resolve();
      };
      pc.addEventListener("connectionstatechange", check);
      const timer = setInterval(() => { check(); if (previewPc !== pc) clearInterval(timer); }, 1000);
    });
    if (previewPc === pc) closePreview();
  }
  async function preview() {
    for (;;) {
      if (room) {
        try { await previewOnce(); } catch (error) { closePreview(); }
      }
      $("preview-off").hidden = false;
      await sleep(3000);
    }
  }
  addEventListener("pagehide", closePreview);

  // -- talk: the operator's microphone on air (WebRTC in, token-protected signalling) ----------------------
  let talkPc = null;
  let talkSession = null;
  let talkStream = null;
  function talkState(on, text) {
    $("talk").setAttribute("aria-pressed", on ? "true" : "false");
    $("talk").textContent = on ? "Stop talking" : "Talk";
    $("talk-state").textContent = text;
  }
  function stopTalk(text = "your microphone on air instead of the host's voice") {
    if (talkSession) {
      const headers = token ? { Authorization: `Bearer ${token}` } : {};
      fetch(talkSession, { method: "DELETE", headers, keepalive: true }).catch(() => {});
    }
    if (talkPc) talkPc.close();
    if (talkStream) talkStream.getTracks().forEach((track) => track.stop());
    talkPc = talkSession = talkStream = null;
    talkState(false, text);
  }
  async function startTalk() {
    talkState(true, "connecting…");
    try {
      talkStream = await navigator.mediaDevices.getUserMedia({ audio: true });
      const pc = new RTCPeerConnection({ iceServers: [] });
      talkPc = pc;
      talkStream.getTracks().forEach((track) => pc.addTrack(track, talkStream));
      await pc.setLocalDescription(await pc.createOffer());
      await iceGathered(pc);
      const headers = { "Content-Type": "application/sdp" };
      if (token) headers.Authorization = `Bearer ${token}`;
      const response = await fetch(`/api/v1${roomPath("/talk")}`, { method: "POST", headers, body: pc.localDescription.sdp });
      if (response.status !== 201) {
        const data = await response.json().catch(() => ({}));
        throw new Error(data.error || `HTTP ${response.status}`);
      }
      talkSession = response.headers.get("Location");
      await pc.setRemoteDescription({ type: "answer", sdp: await response.text() });
      pc.addEventListener("connectionstatechange", () => {
        if (talkPc === pc && ["failed", "closed"].includes(pc.connectionState)) stopTalk("the connection ended");
      });
      talkState(true, "on air: you are the host's voice");
      refreshAudit();
    } catch (error) {
      stopTalk(`cannot talk: ${error.message}`);
      toast(`Talk failed: ${error.message}`);
    }
  }
  // -- reports (each broadcast's post-show report, opened as the self-contained page it is) ---------------------
  async function openReport(id) {
    const headers = token ? { Authorization: `Bearer ${token}` } : {};
    const response = await fetch(`/api/v1/reports/${id}/html`, { headers });
    if (!response.ok) { toast(`report ${id}: HTTP ${response.status}`); return; }
    const page = URL.createObjectURL(new Blob([await response.text()], { type: "text/html" }));
    window.open(page, "_blank");
  }
  async function refreshReports() {
    if (!room) return;
    try {
      const data = await api("GET", `/reports?room=${encodeURIComponent(room)}`);
      $("reports-empty").hidden = data.broadcasts.length > 0;
      $("reports").replaceChildren(...data.broadcasts.slice(0, 8).map((b) => {
        const li = document.createElement("li");
        const link = document.createElement("a");
        link.href = "#";
        link.dataset.testid = "report-link";
        link.textContent = `${b.title} — ${new Date((b.started_ts || 0) * 1000).toLocaleString()} (${b.status})`;
        link.addEventListener("click", (event) => { event.preventDefault(); openReport(b.id); });
        li.append(link);
        return li;
      }));
    } catch (error) { /* shown by the connection dot */ }
  }
  // -- campaign items waiting for a person's approval (docs/campaigns.md) -------------------------------------
  async function refreshApprovals() {
    try {
      const data = await api("GET", "/campaign-items?state=awaiting_approval");
      const items = data.items || [];
      $("approvals-empty").hidden = items.length > 0;
      $("approvals-count").textContent = items.length ? String(items.length) : "";
      $("approvals").replaceChildren(...items.slice(0, 20).map((item) => {
        const li = document.createElement("li");
        li.dataset.testid = "approval";
        const what = document.createElement("span");
        const subject = item.content.subject ? `${item.content.subject} — ` : "";
        what.textContent = `${item.campaign} · ${item.sku} · ${item.segment || "everyone"} · ${item.channel} ` +
          `${item.variant}: ${subject}${item.content.body}`;
        const decide = (decision) => async () => {
          await act(`${decision}d item ${item.id}`, "POST", `/campaign-items/${item.id}/${decision}`);
          refreshApprovals();
        };
        const yes = document.createElement("button");
        yes.textContent = "Approve";
        yes.dataset.testid = "approve";
        yes.addEventListener("click", decide("approve"));
        const no = document.createElement("button");
        no.textContent = "Reject";
        no.dataset.testid = "reject";
        no.addEventListener("click", decide("reject"));
        li.append(what, yes, no);
        return li;
      }));
    } catch (error) { /* shown by the connection dot */ }
  }
  $("talk").addEventListener("click", () => { if (talkPc) stopTalk(); else startTalk(); });
  addEventListener("pagehide", () => { if (talkPc) stopTalk(); });

  async function refreshAll() {
    try {
      await loadRooms();
      await Promise.all([loadShows(), loadProducts(), refreshState(), refreshAudit(), refreshSales(), refreshReports(),
        refreshApprovals()]);
    } catch (error) { /* retried by the timers */ }
  }

  refreshAll().then(() => {
    setInterval(refreshState, 1000);
    setInterval(refreshAudit, 3000);
    setInterval(refreshSales, 2000);
    setInterval(refreshReports, 10000);
    setInterval(refreshApprovals, 5000);
    setInterval(() => { if (!products.length) loadProducts().catch(() => {}); }, 5000);
    followEvents();
    preview();
  });
})();
