// The console's "Host and scene" card: which avatar and scene the room uses, the avatar's state (ready, or the
// built-in host standing in, and why), and a switch that the room takes at its next line
// (GET/PUT /api/v1/rooms/{room}/appearance).
"use strict";

(() => {
  const $ = (id) => document.getElementById(id);
  const consoleApi = () => window.livehubConsole;
  let busy = false;

  function fill(select, choices, chosen) {
    if (document.activeElement === select || busy) return;
    const values = [...select.options].map((o) => o.value).join("\n");
    if (values !== choices.join("\n")) {
      select.replaceChildren(...choices.map((name) => {
        const option = document.createElement("option");
        option.value = name;
        option.textContent = name;
        return option;
      }));
    }
    if (chosen && choices.includes(chosen)) select.value = chosen;
  }

  function render(look) {
    fill($("avatar-select"), look.avatar.choices || [], look.avatar.chosen);
    fill($("scene-select"), look.scene.choices || [], look.scene.chosen);
    const status = look.avatar.status;
    const state = $("avatar-state");
    const pending = (look.pending || []).length ? ` · switching ${look.pending.join(" and ")} at the next line` : "";
    if (status) {
      state.textContent = `${status.avatar} · ${status.state}`;
      state.className = `state ${status.state === "ready" ? "good" : "warn"}`;
      const details = [];
      if (status.state !== "ready" && status.last_error) details.push(`built-in host stands in: ${status.last_error}`);
      if (status.delay_s != null) details.push(`service delay ${status.delay_s} s`);
      if (status.covered_frames) details.push(`${status.covered_frames} frames covered by the built-in host`);
      $("avatar-detail").textContent = details.join(" · ") + pending;
    } else {
      state.textContent = "off air";
      state.className = "state";
      $("avatar-detail").textContent = pending;
    }
    $("scene-state").textContent = look.scene.now ? `now ${look.scene.now}` : "";
  }

  async function refresh() {
    const c = consoleApi();
    if (!c || !c.api || !c.room) return;
    try {
      render(await c.api("GET", c.roomPath("/appearance")));
    } catch (error) { /* the connection dot shows it */ }
  }

  async function choose(part, name) {
    const c = consoleApi();
    busy = true;
    try {
      await c.act(`${part === "avatar" ? "Avatar" : "Scene"}: ${name} at the next line`, "PUT",
        c.roomPath("/appearance"), { [part]: name });
    } finally {
      busy = false;
      refresh();
    }
  }

  $("avatar-select").addEventListener("change", () => choose("avatar", $("avatar-select").value));
  $("scene-select").addEventListener("change", () => choose("scene", $("scene-select").value));
  refresh();
  setInterval(refresh, 1000);
})();
