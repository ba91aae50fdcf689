/**
 * Dates as uWSGI writes them in its log: `Mon Nov 23 20:31:47 2026` (C `ctime` layout, local
 * time). Formatting is cached per second: the request log asks for it on every request.
 * @module
 */

const DAYS = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

let cachedSecond = -1;
let cachedText = "";

const pad2 = (n: number): string => (n < 10 ? "0" + n : String(n));

/** The `ctime`-style local date of `ms` (default now), without the trailing newline. */
export function logDate(ms: number = Date.now()): string {
  const second = Math.floor(ms / 1000);
  if (second === cachedSecond) return cachedText;
  const d = new Date(second * 1000);
  const day = d.getDate();
  cachedText = `${DAYS[d.getDay()]} ${MONTHS[d.getMonth()]} ${day < 10 ? " " + day : day} ${pad2(d.getHours())}:${pad2(d.getMinutes())}:${pad2(d.getSeconds())} ${d.getFullYear()}`;
  cachedSecond = second;
  return cachedText;
}
