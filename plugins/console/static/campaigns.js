// The campaigns page: define, schedule, run, send and measure campaigns through /api/v1 (docs/campaigns.md).
// The API token is the console's (this tab's sessionStorage), asked for when the hub answers 401.
"use strict";

(() => {
  const $ = (id) => document.getElementById(id);
  const TOKEN_KEY = "livehub.token";
  let token = sessionStorage.getItem(TOKEN_KEY) || "";
  let asking = null;
  let options = { kinds: {}, channels: {}, rules: [], approval: [] };
  let segments = [];
  let schedules = [];
  window.livehubCampaigns = { errors: 0 };

  function toast(text, ok = false) {
    const box = $("toast");
    box.textContent = text;
    box.className = ok ? "toast ok" : "toast";
    box.hidden = false;
    clearTimeout(toast.timer);
    toast.timer = setTimeout(() => { box.hidden = true; }, ok ? 2000 : 6000);
  }
  function askToken() {
    if (asking) return asking;
    asking = new Promise((resolve) => {
      const dialog = $("token-dialog");
      $("token-input").value = "";
      dialog.addEventListener("close", () => {
        if (dialog.returnValue === "save" && $("token-input").value) {
          token = $("token-input").value;
          sessionStorage.setItem(TOKEN_KEY, token);
        }
        asking = null;
        resolve();
        refresh();
      }, { once: true });
      dialog.showModal();
    });
    return asking;
  }
  async function api(method, path, body) {
    const headers = {};
    if (token) headers.Authorization = `Bearer ${token}`;
    if (body !== undefined) headers["Content-Type"] = "application/json";
    const response = await fetch(`/api/v1${path}`, { method, headers,
      body: body === undefined ? undefined : JSON.stringify(body) });
    if (response.status === 401) { $("conn").className = "conn"; askToken(); throw new Error("API token needed"); }
    const data = response.status === 204 ? {} : await response.json().catch(() => ({}));
    if (!response.ok) throw new Error(data.error || `HTTP ${response.status}`);
    $("conn").className = "conn ok";
    return data;
  }
  async function act(label, method, path, body) {
    try {
      const data = await api(method, path, body);
      toast(label, true);
      return data;
    } catch (error) {
      window.livehubCampaigns.errors += 1;
      toast(`${label} failed: ${error.message}`);
      return null;
    }
  }
  const el = (tag, text, attrs = {}) => {
    const node = document.createElement(tag);
    if (text !== undefined) node.textContent = text;
    for (const [key, value] of Object.entries(attrs)) node.setAttribute(key, value);
    return node;
  };
  const button = (text, testid, onClick, cls = "small") => {
    const node = el("button", text, { type: "button", class: cls, "data-testid": testid });
    node.addEventListener("click", onClick);
    return node;
  };
  function checks(box, values, chosen, name) {
    box.replaceChildren(...values.map(([value, text]) => {
      const input = el("input", undefined, { type: "checkbox", name, value });
      input.checked = chosen.includes(value);
      const label = el("label");
      label.append(input, document.createTextNode(` ${text}`));
      return label;
    }));
  }
  const checked = (box) => [...box.querySelectorAll("input:checked")].map((input) => input.value);

  // -- the form ---------------------------------------------------------------------------------------------------
  function showWhen() {
    const when = $("f-when").value;
    $("f-hours").hidden = when !== "before_show";
    $("f-cron").hidden = when !== "cron";
    $("f-at").hidden = when !== "at";
  }
  function fillForm(name, c) {
    $("f-name").value = name || "";
    $("f-products").value = (c.products || []).join(", ");
    $("f-rule").value = c.rule || "";
    checks($("f-segments"), [["", "everyone"], ...segments.map((s) => [s, s])], c.segments || [""], "segment");
    checks($("f-kinds"), Object.keys(options.kinds).map((k) => [k, k.replace("_", " ")]), c.kinds || ["copy"], "kind");
    checks($("f-channels"), Object.entries(options.channels).map(([k, v]) =>
      [k, v.configured ? k : `${k} (not configured)`]), c.channels || [], "channel");
    $("f-variants").value = c.variants || 2;
    $("f-approval").value = c.approval || "manual";
    $("f-link").value = c.link || "";
    const schedule = schedules.find((s) => s.args && s.args.campaign === name);
    $("f-when").value = c.before_show ? "before_show" : schedule && schedule.trigger && schedule.trigger.startsWith("cron")
      ? "cron" : "";
    $("f-hours").value = c.before_show ? c.before_show.hours : "";
    $("f-cron").value = "";
    showWhen();
  }
  async function save(event) {
    event.preventDefault();
    const name = $("f-name").value.trim();
    const when = $("f-when").value;
    const body = {
      products: $("f-products").value.split(",").map((s) => s.trim()).filter(Boolean),
      segments: checked($("f-segments")), kinds: checked($("f-kinds")), channels: checked($("f-channels")),
      variants: Number($("f-variants").value || 2), approval: $("f-approval").value, link: $("f-link").value.trim(),
    };
    if ($("f-rule").value) body.rule = $("f-rule").value;
    if (!body.segments.length) body.segments = [""];
    if (when === "before_show") body.before_show = { hours: Number($("f-hours").value) };
    if (!await act(`saved ${name}`, "PUT", `/campaigns/${encodeURIComponent(name)}`, body)) return;
    if (when === "cron" || when === "at") {
      const schedule = { job_type: "campaign.run", args: { campaign: name }, id: `campaign.${name}.${when}` };
      if (when === "cron") schedule.cron = $("f-cron").value.trim();
      else schedule.at = $("f-at").value;
      await act(`scheduled ${name}`, "POST", "/schedules", schedule);
    }
    refresh();
  }

  // -- the list, runs and reports ----------------------------------------------------------------------------------
  function describeWhen(name, c) {
    const parts = c.before_show ? [`${c.before_show.hours} h before each show`] : [];
    for (const s of schedules.filter((s) => s.args && s.args.campaign === name)) parts.push(s.trigger || "scheduled");
    return parts.join("; ") || "by hand";
  }
  async function showReport(name) {
    const data = await act(`report of ${name}`, "GET", `/campaigns/${encodeURIComponent(name)}/report`);
    if (!data) return;
    $("report-card").hidden = false;
    $("report-name").textContent = name;
    $("report").replaceChildren(...Object.entries(data.variants).map(([variant, v]) => {
      const row = el("tr", undefined, { "data-testid": "report-row" });
      const gmv = Object.entries(v.gmv).map(([currency, amount]) => `${amount} ${currency}`).join(", ") || "—";
      for (const cell of [variant, v.sent, v.clicked, v.clicks, v.orders, gmv]) row.append(el("td", String(cell)));
      return row;
    }));
    $("report-winner").textContent = data.winner ? `Variant ${data.winner} wins.` : "No winner yet.";
  }
  async function campaignRow(entry) {
    const c = entry.definition;
    const name = entry.name;
    let last = "—";
    try {
      const detail = await api("GET", `/campaigns/${encodeURIComponent(name)}`);
      const run = (detail.runs || [])[0];
      if (run) {
        const counts = run.counts || {};
        last = `${run.status}: ${counts.generated || 0} made, ${counts.reused || 0} reused, ` +
          `${counts.approved || 0} approved, ${counts.awaiting_approval || 0} to approve, ${counts.blocked || 0} blocked`;
      }
    } catch (error) { /* the row says — */ }
    const row = el("tr", undefined, { "data-testid": "campaign-row", "data-name": name });
    row.append(el("td", name), el("td", `${c.rule ? `rule ${c.rule}` : c.products.join(", ")} · ${c.kinds.join(", ")}`),
      el("td", `${c.segments.map((s) => s || "everyone").join(", ")} by ${c.channels.join(", ")}`),
      el("td", describeWhen(name, c)), el("td", last, { "data-testid": "last-run" }));
    const actions = el("td");
    actions.append(
      button("Edit", "edit", () => fillForm(name, c)),
      button("Run now", "run", async () => { await act(`ran ${name}`, "POST", `/campaigns/${encodeURIComponent(name)}/run`); refresh(); }),
      button("Send", "send", async () => {
        const sent = await act(`sent ${name}`, "POST", `/campaigns/${encodeURIComponent(name)}/send`);
        if (sent) toast(`${name}: ${sent.sent || 0} sent`, true);
      }),
      button("Report", "report", () => showReport(name)),
      button("Delete", "delete", async () => {
        if (!confirm(`Delete campaign ${name}? Its runs and items stay.`)) return;
        await act(`deleted ${name}`, "DELETE", `/campaigns/${encodeURIComponent(name)}`);
        refresh();
      }, "small danger"));
    row.append(actions);
    return row;
  }
  async function refresh() {
    try {
      const [list, sched] = await Promise.all([api("GET", "/campaigns"), api("GET", "/schedules").catch(() => [])]);
      schedules = Array.isArray(sched) ? sched.filter((s) => s.job_type === "campaign.run") : [];
      const campaigns = list.campaigns || [];
      $("campaigns-empty").hidden = campaigns.length > 0;
      $("campaign-count").textContent = campaigns.length ? String(campaigns.length) : "";
      $("campaigns").replaceChildren(...await Promise.all(campaigns.slice(0, 100).map(campaignRow)));
    } catch (error) { window.livehubCampaigns.errors += 1; }
  }
  async function start() {
    try {
      options = await api("GET", "/campaign-options");
      segments = ((await api("GET", "/segments?tenant=").catch(() => ({}))).segments || []).map((s) => s.name);
      const catalog = await api("GET", "/catalog").catch(() => ({ products: [] }));
      $("skus").replaceChildren(...catalog.products.map((p) => el("option", p.name, { value: p.sku })));
    } catch (error) { toast(`cannot load options: ${error.message}`); }
    $("f-rule").append(...options.rules.map((r) => el("option", r.replace("_", " "), { value: r })));
    $("f-approval").replaceChildren(...options.approval.map((a) => el("option", a === "manual"
      ? "a person approves each item" : "automatic (after review)", { value: a })));
    fillForm("", {});
    $("f-when").addEventListener("change", showWhen);
    $("form").addEventListener("submit", save);
    $("new").addEventListener("click", () => fillForm("", {}));
    await refresh();
    document.body.dataset.ready = "1";
    setInterval(refresh, 10000);
  }
  start();
})();
