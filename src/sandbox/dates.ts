/** CW's date format: ISO-8601 UTC with `Z`, no fractions (e.g. 2022-09-07T09:46:58Z). */
export function isoDate(ms: number): string {
  return `${new Date(ms).toISOString().slice(0, 19)}Z`;
}

/** CW stores whole seconds; every timestamp the simulator keeps is floored to one. */
export function toSecond(ms: number): number {
  return Math.floor(ms / 1000) * 1000;
}

/** Parses a date input field (ISO-8601, with or without zone; naive = UTC). */
export function parseDateInput(text: string): number | undefined {
  const t = text.trim();
  if (!/^\d{4}-\d{2}-\d{2}/.test(t)) return undefined;
  const withZone = /[zZ]|[+-]\d{2}:?\d{2}$/.test(t.slice(10)) ? t : `${t.length === 10 ? `${t}T00:00:00` : t}Z`;
  const ms = Date.parse(withZone.replace(' ', 'T'));
  return Number.isFinite(ms) ? toSecond(ms) : undefined;
}
