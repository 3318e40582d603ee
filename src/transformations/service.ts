// Saving and reading definitions and transformations: the checks every route shares (names, element, vendor
// object, definition, the engine's own validation), then the store, then the cache is forgotten.
import type { ElementDefinition } from '../elements/index.ts';
import { type AppError, appError, fail, ok, type Result } from '../errors/index.ts';
import type { PlatformDeps } from '../platform/index.ts';
import {
  type DefinitionRecord,
  deleteDefinition,
  deleteTransformation,
  findDefinition,
  findTransformation,
  type Level,
  listTransformations,
  type StoredField,
  saveDefinition,
  saveTransformation,
  type TransformationRecord,
  type TransformationSpec,
} from '../store/transformations.ts';
import { type Problem, validateDefinition, validateTransformation } from '../transform/index.ts';
import { forgetTransformations, toDefinition, toTransformation } from './resolve.ts';

type Deps = Pick<PlatformDeps, 'store' | 'catalog'>;

/** Names are path segments and CEQL-free identifiers: `myContacts`, `contacts`, `my_tickets`. */
const NAME = /^[A-Za-z][A-Za-z0-9_]{0,63}$/;

export function checkName(name: string, field = 'name'): Result<string> {
  if (!NAME.test(name)) {
    return fail(
      appError(
        'INVALID_PARAMETER',
        `${field} ${JSON.stringify(name.slice(0, 80))} is not a valid object name: use a letter then letters, digits or _ (at most 64)`,
        { field },
      ),
    );
  }
  return ok(name);
}

function problemsError(problems: Problem[], prefix: string): AppError {
  const named = problems.map((p) => ({ field: prefix ? `${prefix}.${p.field}` : p.field, message: p.message }));
  return appError('VALIDATION_FAILED', named.map((p) => `${p.field}: ${p.message}`).join('; '), {
    field: named[0]?.field ?? prefix,
  });
}

export interface DefinitionInput {
  fields: StoredField[];
  description?: string;
}

export const levelName = (l: Level) => l.level;

export function definitionView(d: DefinitionRecord) {
  return {
    name: d.name,
    level: d.level.level,
    ...(d.level.level === 'instance' ? { instanceId: d.level.instanceId } : {}),
    ...(d.description !== undefined ? { description: d.description } : {}),
    fields: d.fields,
  };
}

export function transformationView(t: TransformationRecord) {
  return {
    name: t.name,
    level: t.level.level,
    ...(t.level.level === 'instance' ? { instanceId: t.level.instanceId } : {}),
    elementKey: t.elementKey,
    vendorName: t.vendorName,
    fields: t.spec.fields,
    configuration: t.spec.configuration ?? [],
    ...(t.spec.script ? { script: t.spec.script } : {}),
  };
}

/**
 * Creates (`create`: 409 when it exists), replaces (`replace`: 404 when missing) or upserts a definition.
 * `fieldPrefix` places problems in the caller's body (e.g. `myContacts` for the many-definitions POST).
 */
export async function putDefinition(
  deps: Deps,
  organizationId: number,
  level: Level,
  name: string,
  input: DefinitionInput,
  mode: 'create' | 'replace' | 'upsert',
  fieldPrefix = '',
): Promise<Result<DefinitionRecord>> {
  const named = checkName(name, fieldPrefix ? `${fieldPrefix}` : 'name');
  if (!named.ok) return named;
  const problems = validateDefinition(toDefinition({ name, fields: input.fields } as DefinitionRecord));
  if (problems.length > 0) return fail(problemsError(problems, fieldPrefix));
  const seen = new Set<string>();
  for (const [i, f] of input.fields.entries()) {
    if (seen.has(f.path)) {
      const field = `${fieldPrefix ? `${fieldPrefix}.` : ''}fields[${i}].path`;
      return fail(appError('VALIDATION_FAILED', `${field}: ${f.path} appears twice`, { field }));
    }
    seen.add(f.path);
  }
  const existing = await findDefinition(deps.store.db, organizationId, level, name);
  if (mode === 'create' && existing) {
    return fail(
      appError('CONFLICT', `A ${level.level}-level definition named ${name} already exists; PUT replaces it`, {
        field: fieldPrefix || 'name',
      }),
    );
  }
  if (mode === 'replace' && !existing) {
    return fail(appError('NOT_FOUND', `No ${level.level}-level definition named ${name}`));
  }
  const saved = await saveDefinition(deps.store.db, organizationId, level, name, input);
  forgetTransformations();
  return ok(saved.record);
}

/** Deletes a definition; refused while transformations at its level (or below) still use it. */
export async function removeDefinition(
  deps: Deps,
  organizationId: number,
  level: Level,
  name: string,
): Promise<Result<void>> {
  const existing = await findDefinition(deps.store.db, organizationId, level, name);
  if (!existing) return fail(appError('NOT_FOUND', `No ${level.level}-level definition named ${name}`));
  const users = (
    await listTransformations(deps.store.db, organizationId, {
      name,
      ...(level.level === 'instance' ? { level } : {}),
    })
  ).filter((t) => t.name !== t.vendorName);
  if (users.length > 0) {
    const where = users.map((t) =>
      t.level.level === 'instance' ? `instance ${t.level.instanceId}` : `organization (${t.elementKey})`,
    );
    return fail(
      appError(
        'CONFLICT',
        `Definition ${name} is used by transformations at ${where.join(', ')}; delete them first, or DELETE /common-resources/${name} to delete everything named ${name}`,
      ),
    );
  }
  await deleteDefinition(deps.store.db, organizationId, level, name);
  forgetTransformations();
  return ok(undefined);
}

export interface TransformationInput {
  level?: string;
  vendorName: string;
  fields: unknown[];
  configuration?: unknown[];
  script?: { body: string; mimeType?: string; filterEmptyResponse?: boolean };
}

export function findElement(deps: Deps, keyOrId: string): Result<ElementDefinition> {
  const def = deps.catalog.find(keyOrId);
  if (!def) return fail(appError('NOT_FOUND', `Element ${keyOrId} does not exist`));
  return ok(def);
}

/** Checks a transformation body against its element, definition and the engine; the definition it maps onto. */
export async function checkTransformation(
  deps: Deps,
  organizationId: number,
  level: Level,
  element: ElementDefinition,
  name: string,
  input: TransformationInput,
): Promise<Result<void>> {
  const named = checkName(name);
  if (!named.ok) return named;
  if (input.level !== undefined && input.level !== level.level) {
    return fail(
      appError(
        'VALIDATION_FAILED',
        `level is ${JSON.stringify(input.level)} but this path saves a ${level.level}-level transformation`,
        { field: 'level' },
      ),
    );
  }
  const resource = element.resources.find((r) => r.name === input.vendorName);
  if (!resource) {
    return fail(
      appError(
        'VALIDATION_FAILED',
        `vendorName ${JSON.stringify(input.vendorName)} is not an object of ${element.key}; one of: ${element.resources.map((r) => r.name).join(', ')}`,
        { field: 'vendorName' },
      ),
    );
  }
  const def =
    (level.level === 'instance' ? await findDefinition(deps.store.db, organizationId, level, name) : undefined) ??
    (await findDefinition(deps.store.db, organizationId, { level: 'organization' }, name));
  // A transformation under the vendor object's own name (`contacts`) needs no definition.
  if (!def && name !== input.vendorName) {
    return fail(
      appError(
        'VALIDATION_FAILED',
        `No definition named ${name}: create it first (POST /organizations/objects/${name}/definitions)`,
        { field: 'name' },
      ),
    );
  }
  const problems = await validateTransformation(
    toTransformation({
      level,
      vendorName: input.vendorName,
      spec: specOf(input),
    } as TransformationRecord),
    def ? toDefinition(def) : undefined,
  );
  if (problems.length > 0) return fail(problemsError(problems, ''));
  return ok(undefined);
}

const specOf = (input: TransformationInput): TransformationSpec => ({
  fields: input.fields,
  ...(input.configuration ? { configuration: input.configuration } : {}),
  ...(input.script ? { script: input.script } : {}),
});

export async function putTransformation(
  deps: Deps,
  organizationId: number,
  level: Level,
  element: ElementDefinition,
  name: string,
  input: TransformationInput,
  mode: 'create' | 'replace' | 'upsert',
): Promise<Result<TransformationRecord>> {
  const checked = await checkTransformation(deps, organizationId, level, element, name, input);
  if (!checked.ok) return checked;
  const existing = await findTransformation(deps.store.db, organizationId, level, element.key, name);
  if (mode === 'create' && existing) {
    return fail(
      appError('CONFLICT', `A ${level.level}-level transformation named ${name} already exists; PUT replaces it`, {
        field: 'name',
      }),
    );
  }
  if (mode === 'replace' && !existing) {
    return fail(appError('NOT_FOUND', `No ${level.level}-level transformation named ${name}`));
  }
  const saved = await saveTransformation(deps.store.db, organizationId, level, element.key, name, {
    vendorName: input.vendorName,
    spec: specOf(input),
  });
  forgetTransformations();
  return ok(saved.record);
}

export async function removeTransformation(
  deps: Deps,
  organizationId: number,
  level: Level,
  elementKey: string,
  name: string,
): Promise<Result<void>> {
  const gone = await deleteTransformation(deps.store.db, organizationId, level, elementKey, name);
  if (!gone) return fail(appError('NOT_FOUND', `No ${level.level}-level transformation named ${name}`));
  forgetTransformations();
  return ok(undefined);
}
