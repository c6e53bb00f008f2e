import { parseArgs } from 'node:util';
import { z } from 'zod';

/** Raised for bad command-line options; the message says which option and why. */
export class UsageError extends Error {
  override name = 'UsageError';
}

/** `--name N`: a whole number from min to max. */
export const integerOption = (name: string, min: number, max: number) =>
  z
    .string()
    .regex(/^\d+$/, `--${name} must be a whole number`)
    .transform(Number)
    .refine((n) => n >= min && n <= max, `--${name} must be from ${min} to ${max}`);

/**
 * Parses `--key value` options, one per key of `schema` (plus --help; the keys named in `flags` are
 * switches without a value), and validates them with it. Returns undefined for --help; throws a
 * UsageError naming each bad option and what was given.
 */
export function parseOptions<Shape extends z.ZodRawShape>(
  argv: string[],
  schema: z.ZodObject<Shape>,
  flags: readonly (keyof Shape & string)[] = [],
): z.infer<z.ZodObject<Shape>> | undefined {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: {
        ...Object.fromEntries(Object.keys(schema.shape).map((name) => [name, { type: flags.includes(name) ? ('boolean' as const) : ('string' as const) }])),
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
  if (values['help'] === true) return undefined;
  const { help: _help, ...rest } = values;
  const parsed = schema.safeParse(rest);
  if (!parsed.success) {
    throw new UsageError(parsed.error.issues.map((issue) => `${issue.message} (got ${JSON.stringify(rest[String(issue.path[0])])})`).join('\n'));
  }
  return parsed.data;
}
