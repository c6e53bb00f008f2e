import { z } from 'zod';
import { validationFailed, type FieldError } from '../problem.js';

/**
 * The rule for the record ids the services store (`ascii_bin`, at most 64) and accept in paths: a
 * letter or digit, then letters, digits, `.`, `_` and `-`. One rule, so a service calling another
 * refuses exactly the ids the other would.
 */
export const recordIdSchema = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, 'must be 1-64 characters: letters, digits, . _ - (not first)');

export type InputLocation = 'path' | 'query' | 'body' | 'header';

function fieldName(location: InputLocation, path: readonly PropertyKey[]): string {
  let name: string = location;
  for (const segment of path) {
    name += typeof segment === 'number' ? `[${segment}]` : `.${String(segment)}`;
  }
  return name;
}

/** Maps zod issues to field errors; a missing value is reported with the rule `required`. */
export function fieldErrors(location: InputLocation, error: z.ZodError): FieldError[] {
  return error.issues.flatMap((issue): FieldError[] => {
    if (issue.code === 'unrecognized_keys') {
      return issue.keys.map((key) => ({
        field: fieldName(location, [...issue.path, key]),
        rule: 'unrecognized_key',
        message: 'is not a known field',
      }));
    }
    const missing = issue.code === 'invalid_type' && issue.input === undefined;
    return [
      {
        field: fieldName(location, issue.path),
        rule: missing ? 'required' : issue.code,
        message: missing ? 'is required' : issue.message,
      },
    ];
  });
}

interface Visit {
  value: unknown;
  key?: PropertyKey;
  parent?: Visit;
}

function pathOf(visit: Visit): PropertyKey[] {
  const path: PropertyKey[] = [];
  for (let at: Visit | undefined = visit; at?.parent !== undefined; at = at.parent) path.push(at.key as PropertyKey);
  return path.reverse();
}

function loneSurrogate(location: InputLocation, path: readonly PropertyKey[]): FieldError {
  return { field: fieldName(location, path), rule: 'lone_surrogate', message: 'contains a lone UTF-16 surrogate, which is not Unicode text' };
}

/**
 * Lone UTF-16 surrogates (JSON `"\ud800"`) are not Unicode: MySQL's utf8mb4 would store them as
 * U+FFFD, so what is read back would differ from what was acknowledged. Every string and object
 * key of a part is checked, whatever its schema says, without recursion: a body may nest as deep as
 * its size allows.
 */
function loneSurrogateErrors(location: InputLocation, value: unknown): FieldError[] {
  if (wellFormedWithoutWalk(value)) return [];
  const errors: FieldError[] = [];
  const pending: Visit[] = [{ value }];
  for (let visit = pending.pop(); visit !== undefined; visit = pending.pop()) {
    if (typeof visit.value === 'string') {
      if (!visit.value.isWellFormed()) errors.push(loneSurrogate(location, pathOf(visit)));
      continue;
    }
    if (typeof visit.value !== 'object' || visit.value === null) continue;
    const entries: Array<[PropertyKey, unknown]> = Array.isArray(visit.value) ? [...visit.value.entries()] : Object.entries(visit.value);
    // Pushed last to first, so failures are reported in document order.
    for (const [key, item] of entries.reverse()) {
      const child: Visit = { value: item, key, parent: visit };
      if (typeof key === 'string' && !key.isWellFormed()) errors.push(loneSurrogate(location, pathOf(child)));
      pending.push(child);
    }
  }
  return errors;
}

/**
 * True when `value` is known well-formed without the walk: a scalar, or a flat record (route parameters,
 * a query) whose keys and string values are well-formed. Anything else is left to the walk, which also
 * names what fails.
 */
function wellFormedWithoutWalk(value: unknown): boolean {
  if (typeof value === 'string') return value.isWellFormed();
  if (typeof value !== 'object' || value === null) return true;
  if (Array.isArray(value)) return false;
  const record = value as Record<string, unknown>;
  for (const key in record) {
    if (!Object.hasOwn(record, key)) continue;
    const item = record[key];
    if (!key.isWellFormed()) return false;
    if (typeof item === 'string' ? !item.isWellFormed() : typeof item === 'object' && item !== null) return false;
  }
  return true;
}

/** Parses one part of a request or throws a 400 problem naming every failing field and rule. */
export function parseInput<S extends z.ZodType>(schema: S, value: unknown, location: InputLocation): z.infer<S> {
  return parseRequestParts<{ value: z.infer<S> }>([{ key: 'value', schema, value, location }]).value;
}

/** Parses several parts of a request and reports the failures of all of them in one problem. */
export function parseRequestParts<T extends object>(
  parts: ReadonlyArray<{ key: keyof T & string; schema: z.ZodType | undefined; value: unknown; location: InputLocation }>,
): T {
  const parsed: Record<string, unknown> = {};
  const errors: FieldError[] = [];
  for (const { key, schema, value, location } of parts) {
    if (!schema) continue;
    const invalidText = loneSurrogateErrors(location, value);
    if (invalidText.length > 0) {
      errors.push(...invalidText);
      continue;
    }
    const result = schema.safeParse(value, { reportInput: true });
    if (result.success) parsed[key] = result.data;
    else errors.push(...fieldErrors(location, result.error));
  }
  if (errors.length > 0) throw validationFailed(errors);
  return parsed as T;
}

const DECIMAL_INTEGER = /^-?\d{1,15}$/;

/** Query integers by their bounds, so the OpenAPI document describes them as integers, not strings. */
export const decimalIntegerBounds = new WeakMap<object, { minimum: number; maximum: number }>();

/**
 * A query-string integer: decimal digits with an optional minus sign only (no `0x10`, `1e3`, `1.0`,
 * blanks or empty values, which `z.coerce.number()` would all accept), within `[min, max]`. Chain
 * `.default()` and `.describe()` as usual.
 */
export function queryInteger(bounds: { min: number; max: number }) {
  const schema = z
    .string()
    .regex(DECIMAL_INTEGER, 'must be a decimal integer')
    .transform(Number)
    .pipe(z.int().min(bounds.min).max(bounds.max));
  decimalIntegerBounds.set(schema, { minimum: bounds.min, maximum: bounds.max });
  return schema;
}
