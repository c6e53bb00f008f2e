import { parseArgs } from 'node:util';
import { UsageError } from '../cli-options.js';

export { UsageError };

export const USAGE = `usage:
  npm run users -- add <username> [--role admin]... [--password-env VAR]
      the password is read from VAR, else from standard input (one line), else prompted without echo
  npm run users -- add-client <client-id> [--role service]... [--secret-env VAR]
      without --secret-env a secret is generated and printed once
  npm run users -- rotate-key
      a new signing key signs from now on; the old one stays published until its tokens expire

Calls the running auth service's admin port: AUTH_ADMIN_URL (default http://127.0.0.1:8094) with
Authorization: Bearer $ADMIN_TOKEN.`;

export type UsersCommand =
  | { command: 'add'; username: string; roles: string[]; passwordEnv: string | undefined }
  | { command: 'add-client'; clientId: string; roles: string[]; secretEnv: string | undefined }
  | { command: 'rotate-key' };

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

function envName(option: string, value: string | undefined): string | undefined {
  if (value !== undefined && !ENV_NAME.test(value)) throw new UsageError(`--${option} must name an environment variable (got ${JSON.stringify(value)})`);
  return value;
}

/**
 * The command and its options; undefined for --help. Secrets are never taken from the command line
 * (it is visible to every user of the machine and kept in shell history): only from the environment,
 * standard input or a prompt.
 */
export function parseUsersCommand(argv: string[]): UsersCommand | undefined {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: true,
      options: {
        role: { type: 'string', multiple: true },
        'password-env': { type: 'string' },
        'secret-env': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
  const { values, positionals } = parsed;
  if (values.help === true) return undefined;
  const [command, name, ...extra] = positionals;
  if (extra.length > 0) throw new UsageError(`unexpected arguments: ${extra.join(' ')} (passwords and secrets are never arguments)`);
  const roles = values.role ?? [];
  const onlyFor = (option: 'password-env' | 'secret-env' | 'role', allowed: boolean) => {
    if (!allowed && values[option] !== undefined) throw new UsageError(`--${option} does not apply to ${command}`);
  };
  switch (command) {
    case 'add':
      if (name === undefined) throw new UsageError('add needs a username');
      onlyFor('secret-env', false);
      return { command, username: name, roles, passwordEnv: envName('password-env', values['password-env']) };
    case 'add-client':
      if (name === undefined) throw new UsageError('add-client needs a client id');
      onlyFor('password-env', false);
      return { command, clientId: name, roles, secretEnv: envName('secret-env', values['secret-env']) };
    case 'rotate-key':
      if (name !== undefined) throw new UsageError(`rotate-key takes no arguments (got ${name})`);
      onlyFor('password-env', false);
      onlyFor('secret-env', false);
      onlyFor('role', false);
      return { command };
    case undefined:
      throw new UsageError('a command is required: add, add-client or rotate-key');
    default:
      throw new UsageError(`unknown command ${JSON.stringify(command)}: use add, add-client or rotate-key`);
  }
}
