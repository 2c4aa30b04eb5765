// The live dashboard: one EventSource on /v1/stream; `stats` events redraw cards and charts,
// `order` events keep the latest failures live (filled from /dashboard/failures on each connect);
// /dashboard/lag is polled for the processors' consumer lag.
"use strict";

const STATES = ["CREATED", "VALIDATED", "PAID", "SHIPPED", "FAILED", "CANCELLED"];
const MAX_FAILURES = 15;
const LAG_EVERY_MS = 3000;
const charts = {};
const failures = new Map(); // order_id → order view, at most MAX_FAILURES, the newest kept

function chart(id, type, options) {
  if (typeof Chart === "undefined") return null; // numbers still update without the library
  const stacked = { x: { stacked: true }, y: { stacked: true, beginAtZero: true } };
  return new Chart(document.getElementById(id), {
    type,
    data: { labels: [], datasets: [] },
    options: { animation: false, responsive: true, scales: options.stacked ? stacked : undefined, ...options.extra },
  });
}

function minuteLabel(iso) {
  return iso.slice(11, 16);
}

function money(cents) {
  return (cents / 100).toFixed(2);
}

// "12.50 EUR · 3.00 USD": revenue is never summed across currencies on the cards
function moneyByCurrency(perCurrency) {
  const parts = Object.entries(perCurrency).map(([currency, cents]) => `${money(cents)} ${currency}`);
  return parts.length ? parts.join(" · ") : money(0);
}

// the per-sku figures (sales-per-minute) carry no currency: say which one, or that they are mixed
function skuCurrency(perCurrency) {
  const currencies = Object.keys(perCurrency);
  if (currencies.length === 0) return "";
  if (currencies.length === 1) return `(${currencies[0]})`;
  return `(mixed currencies ${currencies.join(", ")}, summed)`;
}

// one dataset per top sku, plus "other" for the rest of each minute's revenue
function skuDatasets(windows, top) {
  const names = top.map((s) => s.sku);
  const datasets = names.map((sku) => ({
    label: sku,
    data: windows.map((w) => (w.skus[sku] ? w.skus[sku].revenue_cents / 100 : 0)),
  }));
  const others = windows.map((w) =>
    Object.entries(w.skus).filter(([sku]) => !names.includes(sku)).reduce((sum, [, s]) => sum + s.revenue_cents, 0));
  if (others.some((cents) => cents > 0)) datasets.push({ label: "other", data: others.map((cents) => cents / 100) });
  return datasets;
}

function drawStats(stats) {
  const counts = stats.orders.counts;
  document.getElementById("count-TOTAL").textContent = stats.orders.total;
  for (const state of STATES) document.getElementById(`count-${state}`).textContent = counts[state];
  document.getElementById("revenue-total").textContent = moneyByCurrency(stats.sales.revenue_by_currency);
  document.getElementById("sku-currency").textContent = skuCurrency(stats.sales.revenue_by_currency);
  const windows = stats.sales.windows;
  const labels = windows.map((w) => minuteLabel(w.window_start));
  if (charts.perMinute) {
    charts.perMinute.data.labels = labels;
    charts.perMinute.data.datasets = [{ label: "orders", data: windows.map((w) => w.orders) }];
    charts.perMinute.update();
  }
  if (charts.perSku) {
    charts.perSku.data.labels = labels;
    charts.perSku.data.datasets = skuDatasets(windows, stats.sales.top_skus);
    charts.perSku.update();
  }
  if (charts.byState) {
    charts.byState.data.labels = STATES;
    charts.byState.data.datasets = [{ label: "orders", data: STATES.map((s) => counts[s]) }];
    charts.byState.update();
  }
}

function row(texts) {
  const tr = document.createElement("tr");
  for (const text of texts) {
    const cell = document.createElement("td");
    if (text instanceof Node) cell.appendChild(text);
    else cell.textContent = text;
    tr.appendChild(cell);
  }
  return tr;
}

// an order seen twice (on load and on the stream) is one row: rows are keyed by order_id
function addFailures(orders) {
  for (const order of orders) failures.set(order.order_id, order);
  const newest = [...failures.values()].sort((a, b) => b.updated_at.localeCompare(a.updated_at)).slice(0, MAX_FAILURES);
  failures.clear();
  for (const order of newest) failures.set(order.order_id, order);
  const body = document.querySelector("#failures tbody");
  body.replaceChildren(...newest.map((o) => row([o.order_id, o.customer_id, o.reasons.join(", "), o.updated_at.slice(11, 19)])));
}

async function loadFailures() {
  const response = await fetch(`/dashboard/failures?limit=${MAX_FAILURES}`);
  if (response.ok) addFailures((await response.json()).orders);
}

function drawLag(groups) {
  const entries = Object.entries(groups);
  const most = Math.max(1, ...entries.map(([, g]) => g.lag || 0));
  document.querySelector("#lag tbody").replaceChildren(...entries.map(([group, g]) => {
    const bar = document.createElement("div");
    bar.className = g.lag > 0 ? "bar behind" : "bar";
    bar.style.width = `${Math.round((100 * (g.lag || 0)) / most)}%`;
    const tr = row([g.processor, g.lag === null ? "not started" : String(g.lag), bar]);
    tr.title = group;
    tr.dataset.processor = g.processor;
    return tr;
  }));
}

async function pollLag() {
  try {
    const response = await fetch("/dashboard/lag");
    if (response.ok) drawLag(await response.json());
    else document.querySelector("#lag tbody").replaceChildren(row(["lag unavailable", `HTTP ${response.status}`, ""]));
  } catch (error) {
    document.querySelector("#lag tbody").replaceChildren(row(["lag unavailable", String(error), ""]));
  } finally {
    setTimeout(pollLag, LAG_EVERY_MS);
  }
}

function connect() {
  const status = document.getElementById("status");
  const source = new EventSource("/v1/stream");
  source.onopen = () => {
    status.textContent = "live";
    status.className = "status live";
    loadFailures().catch(() => {}); // after the stream opens, so no failure falls between the two; retried on reconnect
  };
  source.onerror = () => { status.textContent = "reconnecting…"; status.className = "status"; };
  source.addEventListener("stats", (event) => drawStats(JSON.parse(event.data)));
  source.addEventListener("order", (event) => {
    const order = JSON.parse(event.data);
    if (order.state === "FAILED") addFailures([order]);
  });
}

window.addEventListener("DOMContentLoaded", () => {
  charts.perMinute = chart("orders-per-minute", "bar", {
    extra: { plugins: { legend: { display: false } }, scales: { y: { beginAtZero: true, ticks: { precision: 0 } } } },
  });
  charts.perSku = chart("revenue-per-sku", "bar", { stacked: true });
  charts.byState = chart("orders-by-state", "bar", { extra: { plugins: { legend: { display: false } } } });
  connect();
  pollLag();
});
