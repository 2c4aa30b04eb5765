// The live dashboard: one EventSource on /v1/stream; `stats` events redraw cards and charts,
// `order` events feed the latest failures.
"use strict";

const STATES = ["CREATED", "VALIDATED", "PAID", "SHIPPED", "FAILED", "CANCELLED"];
const MAX_FAILURES = 15;
const charts = {};

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

function drawStats(stats) {
  const counts = stats.orders.counts;
  document.getElementById("count-TOTAL").textContent = stats.orders.total;
  for (const state of STATES) document.getElementById(`count-${state}`).textContent = counts[state];
  document.getElementById("revenue-total").textContent = money(stats.sales.totals.revenue_cents);
  const windows = stats.sales.windows;
  const labels = windows.map((w) => minuteLabel(w.window_start));
  if (charts.perMinute) {
    charts.perMinute.data.labels = labels;
    charts.perMinute.data.datasets = [{ label: "orders", data: windows.map((w) => w.orders) }];
    charts.perMinute.update();
  }
  if (charts.perSku) {
    const skus = [...new Set(windows.flatMap((w) => Object.keys(w.skus)))].sort();
    charts.perSku.data.labels = labels;
    charts.perSku.data.datasets = skus.map((sku) => ({
      label: sku,
      data: windows.map((w) => (w.skus[sku] ? w.skus[sku].revenue_cents / 100 : 0)),
    }));
    charts.perSku.update();
  }
  if (charts.byState) {
    charts.byState.data.labels = STATES;
    charts.byState.data.datasets = [{ label: "orders", data: STATES.map((s) => counts[s]) }];
    charts.byState.update();
  }
}

function addFailure(order) {
  const body = document.querySelector("#failures tbody");
  const row = document.createElement("tr");
  for (const text of [order.order_id, order.customer_id, order.reasons.join(", "), order.updated_at.slice(11, 19)]) {
    const cell = document.createElement("td");
    cell.textContent = text;
    row.appendChild(cell);
  }
  body.prepend(row);
  while (body.rows.length > MAX_FAILURES) body.deleteRow(-1);
}

function connect() {
  const status = document.getElementById("status");
  const source = new EventSource("/v1/stream");
  source.onopen = () => { status.textContent = "live"; status.className = "status live"; };
  source.onerror = () => { status.textContent = "reconnecting…"; status.className = "status"; };
  source.addEventListener("stats", (event) => drawStats(JSON.parse(event.data)));
  source.addEventListener("order", (event) => {
    const order = JSON.parse(event.data);
    if (order.state === "FAILED") addFailure(order);
  });
}

window.addEventListener("DOMContentLoaded", () => {
  charts.perMinute = chart("orders-per-minute", "bar", {
    extra: { plugins: { legend: { display: false } }, scales: { y: { beginAtZero: true, ticks: { precision: 0 } } } },
  });
  charts.perSku = chart("revenue-per-sku", "bar", { stacked: true });
  charts.byState = chart("orders-by-state", "bar", { extra: { plugins: { legend: { display: false } } } });
  connect();
});
