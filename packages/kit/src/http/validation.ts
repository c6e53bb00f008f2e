import type { z } from 'zod';
import { validationFailed, type FieldError } from '../problem.js';

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
    const result = schema.safeParse(value, { reportInput: true });
    if (result.success) parsed[key] = result.data;
    else errors.push(...fieldErrors(location, result.error));
  }
  if (errors.length > 0) throw validationFailed(errors);
  return parsed as T;
}
