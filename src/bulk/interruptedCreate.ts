// Creates a killed run of the same import may have sent. Before an import sends record i it has claimed, in its
// committed watermark, a block of indexes up to and beyond i (`claims`: one store write per CLAIM_AHEAD records,
// not two per record as a per-record Idempotency-Key would take). A restart therefore knows which records were
// possibly sent and never counted: those in [nextIndex, the last claim's end). ConnectWise has no idempotency of
// its own, so sending one again could create it twice, and skipping it could lose it: each is looked for instead —
// adopted when exactly one record entered since its claim matches what would be sent, sent when none does.
import { listParsed } from '../engine/read.ts';
import { appError, fail, ok, type Result } from '../errors/index.ts';
import type { JobTarget } from './jobContext.ts';
import type { Watermark } from './jobs.ts';

type Json = Record<string, unknown>;

/** Records entered this long before the claim still count (clock skew between us and ConnectWise). */
const SKEW_MS = 10 * 60_000;

/** How many record indexes one claim covers. */
export const CLAIM_AHEAD = 16;

/** A block of record indexes claimed before any of them was sent: indexes below `below`, claimed at `at`. */
export interface Claim {
  below: number;
  at: string;
}

/** The claims still open once outcomes up to `next` (exclusive) are committed. */
export function openClaims(claims: readonly Claim[], next: number): Claim[] {
  return claims.filter((c) => c.below > next);
}

/**
 * The records a previous run may have sent without their outcome being committed, each with the time of the
 * claim that covered it: the indexes from the committed `nextIndex` up to the last claim's end.
 */
export function interruptedCreates(watermark: Watermark): Map<number, string> {
  const out = new Map<number, string>();
  let from = watermark.nextIndex ?? 0;
  for (const c of [...(watermark.claims ?? [])].sort((a, b) => a.below - b.below)) {
    for (let i = from; i < c.below; i++) out.set(i, c.at);
    from = Math.max(from, c.below);
  }
  return out;
}

function literal(value: unknown): string | undefined {
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  if (typeof value === 'boolean') return String(value);
  if (typeof value === 'string' && value !== '') return `'${value.replaceAll("'", "''")}'`;
  return undefined;
}

/**
 * Settles a create a previous run may have sent (claimed at `claimedAt`): `undefined` when ConnectWise has no
 * such record (send it as usual), the adopted record when exactly one matches, or a non-retryable error when
 * the match is ambiguous or the record has no plain field to look it up by.
 */
export async function settleInterruptedCreate(
  t: JobTarget,
  claimedAt: string,
  body: Json,
): Promise<Result<Json> | undefined> {
  const conditions = Object.entries(body).flatMap(([field, value]) => {
    const lit = literal(value);
    return lit === undefined ? [] : [`${field} = ${lit}`];
  });
  if (conditions.length === 0) {
    return fail(
      appError(
        'CONFLICT',
        'Interrupted by a restart after it may have been sent; it has no plain field to look it up by',
        {
          retryable: false,
        },
      ),
    );
  }
  const found = await listParsed(t.engine, t.instance, t.target, { where: conditions.join(' and '), pageSize: 25 });
  if (!found.ok) return found;
  const since = Date.parse(claimedAt) - SKEW_MS;
  const mine = found.value.records.filter((r) => {
    const entered = Date.parse(String((r._info as Json | undefined)?.dateEntered ?? ''));
    return Number.isNaN(entered) || entered >= since;
  });
  if (mine.length === 0) return undefined;
  if (mine.length > 1) {
    return fail(
      appError(
        'CONFLICT',
        `Interrupted by a restart after it may have been sent; ${mine.length} records created since match it ` +
          `(ids ${mine.map((r) => String(r[t.target.endpoint.idField])).join(', ')}), so it was not sent again`,
        { retryable: false },
      ),
    );
  }
  return ok(mine[0] as Json);
}
