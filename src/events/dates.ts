// Cloud Elements poller URL templates (`${gmtDate:fmt}`, `${date:fmt}`, `${dateTimeZone:zone:fmt}`, `${epoch}`,
// `${epoch:s}`) and the Java SimpleDateFormat subset they use. See cloud-elements-api.md §2.9.

const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

const pad = (n: number, width: number) => String(Math.abs(n)).padStart(width, '0');

/** Offset in minutes east of UTC for "GMT", "UTC", "PST"-style names or "+hh:mm"/"-8:00"; undefined if unknown. */
export function zoneOffsetMinutes(zone: string | undefined, at: Date): number | undefined {
  if (!zone || /^(gmt|utc|z)$/i.test(zone)) return 0;
  const m = /^(?:gmt|utc)?([+-])(\d{1,2})(?::?(\d{2}))?$/i.exec(zone.trim());
  if (m) return (m[1] === '-' ? -1 : 1) * (Number(m[2]) * 60 + Number(m[3] ?? 0));
  const fixed: Record<string, number> = {
    PST: -480,
    PDT: -420,
    MST: -420,
    MDT: -360,
    CST: -360,
    CDT: -300,
    EST: -300,
    EDT: -240,
  };
  const f = fixed[zone.toUpperCase()];
  if (f !== undefined) return f;
  if (zone === 'local') return -at.getTimezoneOffset();
  return undefined;
}

/** Formats `at` with a SimpleDateFormat pattern in a fixed offset (minutes east of UTC). */
export function formatJavaDate(at: Date, pattern: string, offsetMinutes = 0): string {
  const d = new Date(at.getTime() + offsetMinutes * 60_000);
  const parts = {
    y: d.getUTCFullYear(),
    M: d.getUTCMonth() + 1,
    d: d.getUTCDate(),
    H: d.getUTCHours(),
    m: d.getUTCMinutes(),
    s: d.getUTCSeconds(),
    S: d.getUTCMilliseconds(),
    E: d.getUTCDay(),
  };
  const sign = offsetMinutes < 0 ? '-' : '+';
  const oh = pad(Math.floor(Math.abs(offsetMinutes) / 60), 2);
  const om = pad(Math.abs(offsetMinutes) % 60, 2);
  let out = '';
  let i = 0;
  while (i < pattern.length) {
    const ch = pattern[i]!;
    if (ch === "'") {
      const end = pattern.indexOf("'", i + 1);
      if (end === i + 1) {
        out += "'";
        i += 2;
        continue;
      }
      out += pattern.slice(i + 1, end === -1 ? undefined : end);
      i = end === -1 ? pattern.length : end + 1;
      continue;
    }
    let n = 1;
    while (pattern[i + n] === ch) n++;
    i += n;
    switch (ch) {
      case 'y':
        out += n === 2 ? pad(parts.y % 100, 2) : pad(parts.y, n);
        break;
      case 'M':
        out += n >= 4 ? MONTHS[parts.M - 1] : n === 3 ? MONTHS[parts.M - 1]!.slice(0, 3) : pad(parts.M, n);
        break;
      case 'd':
        out += pad(parts.d, n);
        break;
      case 'H':
        out += pad(parts.H, n);
        break;
      case 'h':
        out += pad(parts.H % 12 || 12, n);
        break;
      case 'a':
        out += parts.H < 12 ? 'AM' : 'PM';
        break;
      case 'm':
        out += pad(parts.m, n);
        break;
      case 's':
        out += pad(parts.s, n);
        break;
      case 'S':
        out += pad(parts.S, 3).slice(0, Math.max(n, 3));
        break;
      case 'E':
        out += DAYS[parts.E];
        break;
      case 'X':
        out +=
          offsetMinutes === 0 ? 'Z' : n === 1 ? `${sign}${oh}` : n === 2 ? `${sign}${oh}${om}` : `${sign}${oh}:${om}`;
        break;
      case 'Z':
        out += `${sign}${oh}${om}`;
        break;
      default:
        out += ch.repeat(n);
    }
  }
  return out;
}

const DEFAULT_FORMAT = "yyyy-MM-dd'T'HH:mm:ss'Z'";
const TEMPLATE = /\$\{(gmtDate|date|dateTimeZone|epoch)(?::([^}]*))?\}/g;

export function hasDateTemplate(url: string): boolean {
  TEMPLATE.lastIndex = 0;
  return TEMPLATE.test(url);
}

/** Replaces every date template in a poller URL with `since`. Unknown zones fall back to GMT. */
export function substituteDates(url: string, since: Date): string {
  return url.replace(TEMPLATE, (_all, kind: string, arg: string | undefined) => {
    if (kind === 'epoch') {
      const ms = since.getTime();
      if (arg === 's') return String(Math.floor(ms / 1000));
      if (arg === 'us') return String(ms * 1000);
      return String(ms);
    }
    if (kind === 'dateTimeZone') {
      const [zone, ...rest] = (arg ?? '').split(':');
      // "-8:00" style zones contain a colon themselves: rejoin when the rest starts with digits.
      let z = zone ?? '';
      let fmt = rest.join(':');
      if (/^\d{2}/.test(fmt) && /^[+-]?\d{1,2}$/.test(z)) {
        z = `${z}:${fmt.slice(0, 2)}`;
        fmt = fmt.slice(3);
      }
      return formatJavaDate(since, fmt || DEFAULT_FORMAT, zoneOffsetMinutes(z, since) ?? 0);
    }
    const offset = kind === 'date' ? -since.getTimezoneOffset() : 0;
    return formatJavaDate(since, arg || DEFAULT_FORMAT, offset);
  });
}

/** Parses a vendor date value (ISO text, epoch ms) to ms since the epoch; undefined if it is not a date. */
export function parseVendorDate(v: unknown): number | undefined {
  if (typeof v === 'number' && Number.isFinite(v)) return v;
  if (typeof v !== 'string' || v === '') return undefined;
  const t = Date.parse(v);
  return Number.isNaN(t) ? undefined : t;
}

/** Seconds-precision ISO text, the granularity ConnectWise keeps. */
export function isoSeconds(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}
