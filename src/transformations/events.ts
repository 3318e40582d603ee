// Event notifications carry the mapped record when the instance has a transformation under the event's object
// name (e.g. `contacts`). A record the transformation cannot map is replaced by the error (never sent unmapped:
// the mapping may exist to remove fields), so the receiver sees which record failed and why.
import type { PlatformDeps } from '../platform/index.ts';
import { transformationFor } from './resolve.ts';

export async function mapEventRecords<T extends { objectId: string; record?: Record<string, unknown> }>(
  deps: Pick<PlatformDeps, 'store'>,
  instanceId: number,
  objectType: string,
  changes: T[],
): Promise<T[]> {
  if (!changes.some((c) => c.record)) return changes;
  let t: Awaited<ReturnType<typeof transformationFor>>;
  try {
    t = await transformationFor(deps, instanceId, objectType);
  } catch (err) {
    return changes.map((c) =>
      c.record
        ? { ...c, record: { id: c.objectId, transformationError: { code: 'SCRIPT_ERROR', message: String(err) } } }
        : c,
    );
  }
  if (!t) return changes;
  const withRecords = changes.filter((c) => c.record);
  const mapped = await t.toCommon(withRecords.map((c) => c.record));
  let i = 0;
  return changes.map((c) => {
    if (!c.record) return c;
    const m = mapped[i++];
    if (m?.ok) return { ...c, record: m.value };
    return { ...c, record: { id: c.objectId, transformationError: m ? m.error : { code: 'MAPPING_ERROR' } } };
  });
}
