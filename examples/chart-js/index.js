// Task chart: a Morph extension in JavaScript (runtime: js).
//
// `add` stores a task through the host's task store; `render` reads every
// task with morph.data.listTasks, counts them by status and returns a chart
// spec plus a self-contained SVG bar chart. Everything the extension touches
// goes through the `morph` object, under the manifest's permissions.

const STATUSES = ["open", "doing", "done"];
const COLORS = { open: "#e4572e", doing: "#f3a712", done: "#29335c" };

let defaultTitle = "Tasks by status";

export function init(config) {
  if (config && typeof config.title === "string") defaultTitle = config.title;
}

export function execute(action, params) {
  switch (action) {
    case "add":
      return morph.data.createTask({ title: params.title, status: params.status ?? "open" });
    case "render":
      return render(params.title ?? defaultTitle);
    default:
      throw new Error(`unknown action \`${action}\``);
  }
}

function render(title) {
  const counts = Object.fromEntries(STATUSES.map((s) => [s, 0]));
  let offset = 0;
  for (;;) {
    const page = morph.data.listTasks({ limit: 100, offset });
    for (const task of page) counts[task.status] = (counts[task.status] ?? 0) + 1;
    if (page.length < 100) break;
    offset += page.length;
  }
  const bars = Object.entries(counts).map(([label, value]) => ({
    label,
    value,
    color: COLORS[label] ?? "#888888",
  }));
  const total = bars.reduce((n, b) => n + b.value, 0);
  morph.log(`rendered a chart of ${total} tasks`);
  return { title, total, bars, svg: svg(title, bars) };
}

function escape(text) {
  return String(text).replace(/[&<>"]/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" })[c]);
}

function svg(title, bars) {
  const width = 360, height = 220, top = 40, bottom = 30, barWidth = 60, gap = 40;
  const max = Math.max(1, ...bars.map((b) => b.value));
  const scale = (height - top - bottom) / max;
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}">`,
    `<text x="${width / 2}" y="24" text-anchor="middle" font-family="sans-serif" font-size="16">${escape(title)}</text>`,
  ];
  bars.forEach((b, i) => {
    const x = gap + i * (barWidth + gap);
    const h = Math.round(b.value * scale);
    const y = height - bottom - h;
    parts.push(
      `<rect x="${x}" y="${y}" width="${barWidth}" height="${h}" fill="${b.color}"/>`,
      `<text x="${x + barWidth / 2}" y="${y - 4}" text-anchor="middle" font-family="sans-serif" font-size="12">${b.value}</text>`,
      `<text x="${x + barWidth / 2}" y="${height - 10}" text-anchor="middle" font-family="sans-serif" font-size="12">${escape(b.label)}</text>`,
    );
  });
  parts.push("</svg>");
  return parts.join("");
}
