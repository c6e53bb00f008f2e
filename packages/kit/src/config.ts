import { z } from 'zod';

/** Raised when environment variables do not pass validation; the message names every bad variable. */
export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

const port = z.coerce.number().int().min(1).max(65535);

/** Values that are empty strings count as unset, as shells and compose files often export `VAR=`. */
function withoutEmpty(env: NodeJS.ProcessEnv): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(env)) {
    if (value !== undefined && value !== '') out[key] = value;
  }
  return out;
}

export const mysqlUrl = z
  .url({ protocol: /^mysql$/, error: 'must be a URL like mysql://user:password@host:3306' })
  .optional();

/** The variables every service reads (design: Configuration). */
export const serviceEnvSchema = z.object({
  PORT: port,
  ADMIN_PORT: port,
  ADMIN_TOKEN: z.string().min(16, 'must be at least 16 characters').optional(),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  LOG_FORMAT: z.enum(['auto', 'json', 'pretty']).default('auto'),
  MYSQL_URL: mysqlUrl,
  MYSQL_POOL_SIZE: z.coerce.number().int().min(1).max(200).default(10),
  HTTP_BODY_LIMIT: z
    .string()
    .regex(/^\d+(b|kb|mb)$/i, 'must be a size like 64kb or 1mb')
    .default('64kb'),
  SHUTDOWN_TIMEOUT_MS: z.coerce.number().int().min(0).max(120_000).default(10_000),
  DEPLOYMENT_ENVIRONMENT: z.string().default('development'),
});
export type ServiceEnv = z.infer<typeof serviceEnvSchema>;

/**
 * Parses the environment with a zod object schema. Every failing variable is named with the rule it
 * broke and the value is never echoed (it may be a secret).
 */
export function loadConfig<S extends z.ZodType>(schema: S, env: NodeJS.ProcessEnv = process.env): z.infer<S> {
  const result = schema.safeParse(withoutEmpty(env), { reportInput: true });
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => {
    const variable = issue.path.join('.') || '(environment)';
    const rule = issue.code === 'invalid_type' && issue.input === undefined ? 'is required' : issue.message;
    return `${variable}: ${rule}`;
  });
  throw new ConfigError(problems);
}

/** Ports default per service; the environment overrides them. */
export function serviceEnvWithDefaults(defaults: { PORT: number; ADMIN_PORT: number }) {
  return serviceEnvSchema.extend({
    PORT: port.default(defaults.PORT),
    ADMIN_PORT: port.default(defaults.ADMIN_PORT),
  });
}
