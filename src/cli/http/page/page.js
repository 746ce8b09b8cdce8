// The status page of `tock serve --http` and `tock start --http`. Plain
// browser JavaScript, served as written. Every value from the store (job
// ids, notes, commands, output) reaches the page as text: nodes are built
// with createElement and textContent, never from markup. Live: the server's
// event stream (GET /api/events) says when the store changed, and the page
// then reads what it shows; nothing polls.
"use strict";

(() => {
  const SVG = "http://www.w3.org/2000/svg";
  const TOKEN_KEY = "tock.token";
  const ROW = 22;
  const LABEL = 150;

  const state = {
    server: { store: "", writable: false, now: "", looksDeadMs: Infinity },
    /** Server time minus page time, ms. */
    skew: 0,
    minutes: 60,
    jobs: [],
    status: null,
    timeline: null,
    job: null,
    refreshing: false,
    again: false,
    /** Expanded history ranges: job and slot → { count, result } once read. */
    ranges: new Map(),
    /** Opened run logs (run id and attempt). */
    logs: new Set(),
  };

  // ---- DOM helpers -------------------------------------------------------

  /** An element with attributes and children (strings become text). */
  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    return fill(node, attrs, children);
  }

  function svg(tag, attrs, ...children) {
    const node = document.createElementNS(SVG, tag);
    return fill(node, attrs, children);
  }

  function fill(node, attrs, children) {
    for (const [name, value] of Object.entries(attrs ?? {})) {
      if (value === undefined || value === null || value === false) continue;
      node.setAttribute(name, String(value));
    }
    for (const child of children) {
      if (child === undefined || child === null || child === false) continue;
      // A string becomes a Text node: never markup.
      node.append(child);
    }
    return node;
  }

  function byId(id) {
    return document.getElementById(id);
  }

  function clear(node) {
    node.replaceChildren();
    return node;
  }

  // ---- Formatting --------------------------------------------------------

  function serverNow() {
    return Date.now() + state.skew;
  }

  /** `2026-12-07 14:03:05 CET` in a zone. */
  function local(iso, tz) {
    if (!iso) return "";
    const parts = {};
    try {
      const format = new Intl.DateTimeFormat("en-GB", {
        timeZone: tz,
        year: "numeric",
        month: "2-digit",
        day: "2-digit",
        hour: "2-digit",
        minute: "2-digit",
        second: "2-digit",
        hourCycle: "h23",
        timeZoneName: "short",
      });
      for (const part of format.formatToParts(new Date(iso))) {
        parts[part.type] = part.value;
      }
    } catch {
      return iso;
    }
    return `${parts.year}-${parts.month}-${parts.day} ${parts.hour}:${parts.minute}:${parts.second} ${parts.timeZoneName}`;
  }

  /** `2026-12-07 13:03:05Z`. */
  function utc(iso) {
    return iso ? iso.replace("T", " ").replace(/\.\d{3}Z$/, "Z") : "";
  }

  function duration(ms) {
    if (ms < 1000) return `${Math.round(ms)} ms`;
    if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
    const s = Math.round(ms / 1000);
    if (s < 3600) {
      return `${Math.floor(s / 60)}m ${String(s % 60).padStart(2, "0")}s`;
    }
    const m = Math.round(s / 60);
    if (m < 48 * 60) {
      return `${Math.floor(m / 60)}h ${String(m % 60).padStart(2, "0")}m`;
    }
    return `${Math.round(m / 1440)}d`;
  }

  function ago(iso) {
    if (!iso) return "";
    const ms = serverNow() - Date.parse(iso);
    return ms >= 0 ? `${duration(ms)} ago` : `in ${duration(-ms)}`;
  }

  function outcomeText(outcome) {
    return String(outcome).replace("_", " ");
  }

  function outcome(value) {
    return el("span", { class: `outcome ${value}` }, outcomeText(value));
  }

  function targetText(target) {
    if (!target) return "";
    if (target.kind === "command") return target.cmd;
    if (target.kind === "module") return target.module;
    return `function ${target.name}`;
  }

  function counts(counters) {
    const parts = Object.entries(counters ?? {})
      .filter(([, n]) => n > 0)
      .map(([name, n]) => `${outcomeText(name)} ${n}`);
    return parts.length > 0 ? parts.join(" · ") : "none yet";
  }

  // ---- Talking to the server ---------------------------------------------

  async function api(path) {
    const response = await fetch(path, {
      headers: { accept: "application/json" },
    });
    const body = await response.json();
    if (!response.ok) throw new Error(body.error ?? `HTTP ${response.status}`);
    return body;
  }

  async function act(id, action, body) {
    const token = byId("token").value.trim();
    const headers = { "content-type": "application/json" };
    if (token !== "") headers.authorization = `Bearer ${token}`;
    const response = await fetch(
      `/api/jobs/${encodeURIComponent(id)}/${action}`,
      { method: "POST", headers, body: JSON.stringify(body ?? {}) },
    );
    const result = await response.json().catch(() => ({}));
    if (!response.ok) {
      throw new Error(result.error ?? `HTTP ${response.status}`);
    }
    return result;
  }

  function say(text, kind) {
    const message = byId("message");
    message.textContent = text;
    message.dataset.kind = kind ?? "info";
    message.hidden = false;
  }

  // ---- Routing -----------------------------------------------------------

  function route() {
    const match = /^#\/jobs\/(.+)$/.exec(location.hash);
    if (!match) return { view: "overview" };
    try {
      return { view: "job", id: decodeURIComponent(match[1]) };
    } catch {
      return { view: "overview" };
    }
  }

  // ---- Refreshing --------------------------------------------------------

  /** Reads what the current view shows; one read at a time. */
  async function refresh() {
    if (state.refreshing) {
      state.again = true;
      return;
    }
    state.refreshing = true;
    try {
      do {
        state.again = false;
        const here = route();
        if (here.view === "job") await refreshJob(here.id);
        else await refreshOverview();
      } while (state.again);
    } catch (error) {
      say(`Cannot read the store: ${error.message}`, "error");
    } finally {
      state.refreshing = false;
    }
  }

  async function refreshOverview() {
    const [jobs, status, timeline] = await Promise.all([
      api("/api/jobs"),
      api("/api/status"),
      api(`/api/timeline?minutes=${state.minutes}`),
    ]);
    state.jobs = jobs;
    state.status = status;
    state.timeline = timeline;
    byId("overview").hidden = false;
    byId("job-view").hidden = true;
    renderJobs();
    renderInstances();
    renderTimeline();
  }

  async function refreshJob(id) {
    const path = encodeURIComponent(id);
    const [job, next, history, logs] = await Promise.all([
      api(`/api/jobs/${path}`),
      api(`/api/jobs/${path}/next?count=10`),
      api(`/api/history?job=${path}&limit=200`),
      api(`/api/logs/${path}?limit=20`),
    ]);
    state.job = job;
    byId("overview").hidden = true;
    byId("job-view").hidden = false;
    renderJob(job, next, history, logs);
  }

  // ---- The overview ------------------------------------------------------

  function renderJobs() {
    const body = clear(byId("jobs").tBodies[0]);
    byId("no-jobs").hidden = state.jobs.length > 0;
    for (const job of state.jobs) {
      const last = job.last;
      body.append(el(
        "tr",
        { "data-job": job.id },
        el(
          "td",
          {},
          el("a", { href: `#/jobs/${encodeURIComponent(job.id)}` }, job.id),
          job.paused
            ? el(
              "span",
              { class: "sub paused" },
              job.pauseNote ? `paused: ${job.pauseNote}` : "paused",
            )
            : null,
        ),
        el(
          "td",
          {},
          job.description ?? job.schedule,
          el("code", { class: "sub" }, job.schedule),
        ),
        el("td", {}, job.tz),
        el(
          "td",
          {},
          job.nextSlot ? local(job.nextSlot, job.tz) : "none",
          job.nextSlot ? el("span", { class: "sub" }, utc(job.nextSlot)) : null,
        ),
        el(
          "td",
          {},
          last
            ? outcome(last.outcome)
            : el("span", { class: "muted" }, "never"),
          last ? el("span", { class: "sub" }, ago(last.at)) : null,
        ),
        el("td", {}, counts(job.counters)),
        el("td", {}, el("code", {}, targetText(job.target))),
      ));
    }
  }

  function renderInstances() {
    const status = state.status;
    const body = clear(byId("instances").tBodies[0]);
    const instances = status?.instances ?? [];
    byId("no-instances").hidden = instances.length > 0;
    for (const instance of instances) {
      const age = serverNow() - Date.parse(instance.heartbeatAt);
      const dead = instance.looksDead;
      const running = (status.running ?? []).filter((run) =>
        run.instance === instance.id
      ).length;
      const hold = instance.lockHold;
      body.append(el(
        "tr",
        { "data-instance": instance.id },
        el("td", {}, el("code", {}, instance.id)),
        el("td", {}, instance.host ?? ""),
        el("td", {}, instance.pid === null ? "" : String(instance.pid)),
        el(
          "td",
          { "data-heartbeat": instance.heartbeatAt },
          `${duration(Math.max(0, age))} ago`,
        ),
        el("td", {}, liveness(dead)),
        el("td", {}, hold ? `${hold.p50Ms} ms / ${hold.p99Ms} ms` : ""),
        el("td", {}, String(running)),
      ));
    }
  }

  function liveness(dead) {
    return el(
      "span",
      { class: dead ? "dead" : "alive" },
      dead ? "looks dead" : "alive",
    );
  }

  /**
   * Heartbeat ages move with the clock, between changes too (heartbeats
   * are not changes): an instance whose age passes the server's bound
   * turns "looks dead" without a read.
   */
  function tickAges() {
    for (const cell of document.querySelectorAll("td[data-heartbeat]")) {
      const age = serverNow() - Date.parse(cell.dataset.heartbeat);
      cell.textContent = `${duration(Math.max(0, age))} ago`;
      if (age > state.server.looksDeadMs) {
        cell.nextElementSibling.replaceChildren(liveness(true));
      }
    }
  }

  // ---- The timeline ------------------------------------------------------

  const TICKS = [
    10_000,
    30_000,
    60_000,
    5 * 60_000,
    10 * 60_000,
    15 * 60_000,
    30 * 60_000,
    3_600_000,
    2 * 3_600_000,
    3 * 3_600_000,
  ];

  function renderTimeline() {
    const timeline = state.timeline;
    const box = clear(byId("timeline"));
    if (!timeline) return;
    const to = serverNow();
    const from = to - state.minutes * 60_000;
    const jobs = [
      ...new Set([...state.jobs.map((job) => job.id), ...timeline.jobs]),
    ].sort();
    const width = Math.max(640, box.clientWidth || 960);
    const top = 22;
    const height = top + ROW * (jobs.length + 1) + 6;
    const span = width - LABEL - 12;
    const x = (ms) => LABEL + ((ms - from) / (to - from)) * span;
    const clamp = (ms) => Math.min(Math.max(ms, from), to);
    const rowOf = new Map(jobs.map((job, i) => [job, top + ROW * (i + 1)]));
    const chart = svg("svg", {
      viewBox: `0 0 ${width} ${height}`,
      width,
      height,
      role: "img",
      "aria-label": "Run timeline",
    });

    // Axis: local times at round steps.
    const step = TICKS.find((ms) => (to - from) / ms <= 12) ?? 3 * 3_600_000;
    const axis = svg("g", { class: "axis" });
    const offset = new Date().getTimezoneOffset() * 60_000;
    for (
      let t = Math.ceil((from - offset) / step) * step + offset;
      t <= to;
      t += step
    ) {
      const at = x(t);
      const time = new Date(t).toTimeString().slice(0, step < 60_000 ? 8 : 5);
      axis.append(
        svg("line", { x1: at, x2: at, y1: top - 6, y2: height }),
        svg("text", { x: at + 3, y: 12 }, time),
      );
    }
    chart.append(axis);

    // The lock strip: every claim-and-advance of every instance.
    chart.append(
      svg("text", { class: "label", x: 6, y: top + 14 }, "lock held"),
    );
    for (const hold of timeline.holds) {
      const start = Date.parse(hold.start);
      if (start + hold.ms < from || start > to) continue;
      chart.append(svg(
        "rect",
        {
          class: "hold",
          "data-instance": hold.instance,
          x: x(clamp(start)),
          y: top + 3,
          width: Math.max(1, x(clamp(start + hold.ms)) - x(clamp(start))),
          height: ROW - 8,
        },
        svg(
          "title",
          {},
          `${hold.instance} held the lock ${hold.ms} ms from ${
            utc(hold.start)
          }`,
        ),
      ));
    }

    for (const job of jobs) {
      const y = rowOf.get(job);
      chart.append(
        svg("text", { class: "label", x: 6, y: y + 14 }, clip(job, 22)),
      );
    }

    for (const run of timeline.runs) {
      const y = rowOf.get(run.job);
      if (y === undefined) continue;
      const end = run.outcome === "running" ? to : Date.parse(run.end);
      const start = Date.parse(run.start);
      if (end < from || start > to) continue;
      const title = `${run.job} ${utc(run.slot)}: ${
        outcomeText(run.outcome)
      }, ${duration(end - start)}${
        run.segments ? ` in ${run.segments.length} attempts` : ""
      } (${run.runId}${run.instance ? ` on ${run.instance}` : ""})`;
      const group = svg("g", {
        class: "run-bar",
        "data-job": run.job,
        "data-outcome": run.outcome,
        "data-run": run.runId,
      }, svg("title", {}, title));
      // A running run's last segment ends at the edge (below).
      const segments = run.segments ??
        [{ attempt: 1, start: run.start, end: run.end }];
      segments.forEach((segment, i) => {
        const last = i === segments.length - 1;
        const a = clamp(Date.parse(segment.start));
        const b = clamp(
          last && run.outcome === "running" ? to : Date.parse(segment.end),
        );
        group.append(svg("rect", {
          class: `run ${last ? run.outcome : "failed"}${
            run.segments ? " segment" : ""
          }`,
          "data-attempt": segment.attempt,
          x: x(a),
          y: y + 3,
          width: Math.max(2, x(b) - x(a)),
          height: ROW - 8,
          rx: 2,
        }));
      });
      chart.append(group);
    }

    for (const mark of timeline.marks) {
      const y = rowOf.get(mark.job);
      if (y === undefined) continue;
      const first = Date.parse(mark.first);
      const last = Date.parse(mark.last);
      if (last < from || first > to) continue;
      const a = x(clamp(first));
      const b = x(clamp(last));
      const title = mark.count > 1
        ? `${mark.job}: ${mark.count} slots ${mark.outcome} from ${
          utc(mark.first)
        } to ${utc(mark.last)}`
        : `${mark.job} ${utc(mark.first)}: ${mark.outcome}`;
      const group = svg("g", {
        class: `mark ${mark.outcome}`,
        "data-job": mark.job,
        "data-outcome": mark.outcome,
      }, svg("title", {}, `${title}${mark.note ? ` (${mark.note})` : ""}`));
      if (b - a > 3) {
        group.append(
          svg("rect", { x: a, y: y + ROW - 8, width: b - a, height: 3 }),
        );
      }
      for (const at of b - a > 3 ? [a, b] : [a]) {
        group.append(svg("polygon", {
          points: `${at - 4},${y + 2} ${at + 4},${y + 2} ${at},${y + 9}`,
        }));
      }
      chart.append(group);
    }

    chart.append(
      svg("line", {
        class: "now",
        x1: x(to),
        x2: x(to),
        y1: top - 6,
        y2: height,
      }),
    );
    box.append(chart);

    const note = byId("timeline-note");
    note.hidden = !timeline.truncated;
    note.textContent = timeline.truncated
      ? "Only the newest entries of this window were read; older runs are not drawn."
      : "";
  }

  function clip(text, max) {
    return text.length > max ? `${text.slice(0, max - 1)}…` : text;
  }

  // ---- A job's page ------------------------------------------------------

  function renderJob(job, next, history, logs) {
    byId("job-title").textContent = job.id;
    const fields = clear(byId("job-fields"));
    const field = (name, ...value) =>
      fields.append(el("dt", {}, name), el("dd", {}, ...value));
    field(
      "schedule",
      job.description ?? job.schedule,
      el("code", { class: "sub" }, job.schedule),
    );
    field("zone", job.tz);
    field(
      "state",
      job.paused
        ? el(
          "span",
          { class: "paused" },
          job.pauseNote ? `paused: ${job.pauseNote}` : "paused",
        )
        : "enabled",
    );
    field(
      "next slot",
      job.nextSlot
        ? `${local(job.nextSlot, job.tz)} (${utc(job.nextSlot)})`
        : "none",
    );
    field(
      "last",
      job.last ? outcome(job.last.outcome) : "never",
      job.last ? ` ${ago(job.last.at)}` : "",
    );
    field("counts", counts(job.counters));
    field("target", el("code", {}, targetText(job.target)));
    field(
      "policies",
      `overlap ${job.overlap}, catch-up ${job.catchup}, ${job.retries} retries${
        job.timeoutMs ? `, timeout ${duration(job.timeoutMs)}` : ""
      }`,
    );
    if (job.running.length > 0) {
      field(
        "running",
        job.running.map((run) => `${run.runId} (slot ${utc(run.slot)})`).join(
          ", ",
        ),
      );
    }
    if (job.queued.length > 0) field("queued", `${job.queued.length} slot(s)`);

    const writable = state.server.writable;
    byId("read-only").hidden = writable;
    for (const button of document.querySelectorAll("#actions button")) {
      button.disabled = !writable;
    }
    // Pause or resume, whichever applies.
    document.querySelector('#actions button[data-action="resume"]').hidden =
      !job.paused;
    byId("pause-row").hidden = job.paused;

    const nextBody = clear(byId("next").tBodies[0]);
    for (const slot of next) {
      nextBody.append(el(
        "tr",
        {},
        el("td", {}, utc(slot.slot)),
        el("td", {}, slot.local),
        el("td", {}, slot.dst ? slot.dst.message : ""),
      ));
    }

    const historyBody = clear(byId("history").tBodies[0]);
    for (const entry of [...history].reverse()) {
      historyBody.append(historyRow(job, entry));
    }

    const box = clear(byId("logs"));
    if (logs.length === 0) {
      box.append(el("p", { class: "muted" }, "No run logs yet."));
    }
    for (const log of [...logs].reverse()) {
      const exit = log.error
        ? `could not start: ${log.error}`
        : log.exitCode === null
        ? `ended by ${log.signal ?? "a signal"}`
        : `exit ${log.exitCode}`;
      const key = `${log.runId} ${log.attempt}`;
      const details = el(
        "details",
        { "data-run": log.runId, open: state.logs.has(key) },
        el(
          "summary",
          {},
          `${log.runId} attempt ${log.attempt} · ${exit} · ${
            utc(log.startedAt)
          } · ${duration(log.durationMs)}${
            log.truncated ? " · output truncated" : ""
          }`,
        ),
        el("h4", {}, "stdout"),
        el("pre", {}, log.stdout === "" ? "(empty)" : log.stdout),
        el("h4", {}, "stderr"),
        el("pre", {}, log.stderr === "" ? "(empty)" : log.stderr),
      );
      // Live updates redraw the list: what the reader opened stays open.
      details.addEventListener("toggle", () => {
        if (details.open) state.logs.add(key);
        else state.logs.delete(key);
      });
      box.append(details);
    }
  }

  function historyRow(job, entry) {
    const range = entry.count !== undefined && entry.until !== undefined;
    let detail = entry.error
      ? `${entry.error.name}: ${entry.error.message}`
      : entry.note ?? "";
    if (range) {
      const key = `${job.id} ${entry.slot}`;
      const slots = el("div", { class: "range-slots" });
      const details = el(
        "details",
        { open: state.ranges.has(key) },
        el(
          "summary",
          {},
          `${entry.count} slots until ${utc(entry.until)}${
            entry.note ? ` (${entry.note})` : ""
          }`,
        ),
        slots,
      );
      // A growing range (a paused job's) is read again as it grows.
      if (state.ranges.has(key)) {
        const read = state.ranges.get(key);
        if (read?.count === entry.count) showSlots(entry, read.result, slots);
        else void expandRange(job.id, entry, key, slots);
      }
      // Live updates redraw the history: an expanded range stays expanded.
      details.addEventListener("toggle", () => {
        if (!details.open) {
          state.ranges.delete(key);
          return;
        }
        if (!state.ranges.has(key)) state.ranges.set(key, null);
        if (slots.childElementCount === 0) {
          void expandRange(job.id, entry, key, slots);
        }
      });
      detail = details;
    }
    return el(
      "tr",
      {},
      el(
        "td",
        {},
        utc(entry.slot),
        el("span", { class: "sub" }, local(entry.slot, job.tz)),
      ),
      el("td", {}, outcome(entry.outcome)),
      el("td", {}, entry.trigger),
      el("td", {}, entry.runId ? el("code", {}, entry.runId) : ""),
      el("td", {}, entry.instance ?? ""),
      el(
        "td",
        {},
        entry.durationMs !== undefined ? duration(entry.durationMs) : "",
      ),
      el("td", {}, detail),
    );
  }

  async function expandRange(id, entry, key, box) {
    box.textContent = "…";
    try {
      const query = new URLSearchParams({
        from: entry.slot,
        to: entry.until,
        limit: "500",
      });
      const result = await api(
        `/api/jobs/${encodeURIComponent(id)}/slots?${query}`,
      );
      if (state.ranges.has(key)) {
        state.ranges.set(key, { count: entry.count, result });
      }
      showSlots(entry, result, box);
    } catch (error) {
      box.textContent = `Cannot expand: ${error.message}`;
    }
  }

  function showSlots(entry, result, box) {
    clear(box);
    const list = el("ol", {});
    for (const slot of result.slots) list.append(el("li", {}, utc(slot)));
    box.append(list);
    if (result.more) {
      box.append(
        el("p", {}, `… and ${entry.count - result.slots.length} more`),
      );
    }
  }

  async function onAction(event) {
    const button = event.target.closest("button[data-action]");
    if (!button || !state.job) return;
    const id = state.job.id;
    const action = button.dataset.action;
    const body = action === "pause"
      ? { note: byId("pause-note").value }
      : action === "backfill"
      ? { from: byId("backfill-from").value, to: byId("backfill-to").value }
      : {};
    button.disabled = true;
    try {
      const result = await act(id, action, body);
      if (action === "run") {
        say(
          `Run now: ${result.status}${
            result.runId ? ` (${result.runId})` : ""
          } for slot ${utc(result.slot)}`,
        );
      } else if (action === "backfill") {
        say(
          `Backfill: ${result.slots.length} slot(s) queued${
            result.more ? " (more left)" : ""
          }`,
        );
      } else {
        say(`${action === "pause" ? "Paused" : "Resumed"} ${id}`);
      }
      await refresh();
    } catch (error) {
      say(`Refused: ${error.message}`, "error");
    } finally {
      button.disabled = !state.server.writable;
    }
  }

  // ---- Live updates ------------------------------------------------------

  function listen() {
    const live = byId("live");
    const events = new EventSource("/api/events");
    events.addEventListener("open", () => {
      live.dataset.state = "open";
      live.textContent = "live";
      // Whatever changed while the stream was down.
      void refresh();
    });
    events.addEventListener("change", () => void refresh());
    events.addEventListener("error", () => {
      live.dataset.state = "lost";
      live.textContent = "reconnecting…";
    });
  }

  async function start() {
    const token = byId("token");
    token.value = sessionStorage.getItem(TOKEN_KEY) ?? "";
    token.addEventListener(
      "change",
      () => sessionStorage.setItem(TOKEN_KEY, token.value.trim()),
    );
    for (const button of document.querySelectorAll("#zoom button")) {
      button.addEventListener("click", () => {
        state.minutes = Number(button.dataset.minutes);
        for (const other of document.querySelectorAll("#zoom button")) {
          other.setAttribute("aria-pressed", String(other === button));
        }
        void refresh();
      });
    }
    byId("actions").addEventListener("click", (event) => void onAction(event));
    addEventListener("hashchange", () => {
      byId("message").hidden = true;
      void refresh();
    });
    addEventListener("resize", renderTimeline);
    try {
      const began = Date.now();
      state.server = await api("/api/server");
      state.skew = Date.parse(state.server.now) - (began + Date.now()) / 2;
      byId("store").textContent = state.server.store;
    } catch (error) {
      say(`Cannot reach the server: ${error.message}`, "error");
    }
    await refresh();
    listen();
    // Time moves between changes: ages tick, the timeline's edge advances.
    let ticks = 0;
    setInterval(() => {
      tickAges();
      ticks += 1;
      if (ticks % 5 === 0 && route().view === "overview") renderTimeline();
    }, 1000);
  }

  document.addEventListener("DOMContentLoaded", () => void start());
})();
