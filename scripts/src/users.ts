/**
 * `npm run users -- <command>`: users, service clients and signing-key rotation, through the running
 * auth service's admin port (users/options.ts lists the commands). Exit codes: 0 done, 1 failed,
 * 2 bad usage.
 */
import { randomBytes } from 'node:crypto';
import { postAdmin } from './users/admin-client.js';
import { parseUsersCommand, UsageError, USAGE, type UsersCommand } from './users/options.js';
import { readSecret } from './users/secret-input.js';

const DEFAULT_ADMIN_URL = 'http://127.0.0.1:8094';

async function run(command: UsersCommand, adminUrl: string, adminToken: string | undefined): Promise<string> {
  switch (command.command) {
    case 'add': {
      const password = await readSecret('password', command.passwordEnv);
      const user = (await postAdmin(adminUrl, adminToken, '/admin/users', { username: command.username, password, roles: command.roles })) as {
        id: string;
        username: string;
        roles: string[];
      };
      return `user ${user.username} created: id ${user.id}, roles [${user.roles.join(', ')}]`;
    }
    case 'add-client': {
      const generated = command.secretEnv === undefined;
      const secret = generated ? randomBytes(32).toString('base64url') : await readSecret('secret', command.secretEnv);
      const client = (await postAdmin(adminUrl, adminToken, '/admin/clients', { clientId: command.clientId, secret, roles: command.roles })) as {
        clientId: string;
        roles: string[];
      };
      const created = `client ${client.clientId} created: roles [${client.roles.join(', ')}]`;
      return generated ? `${created}\nsecret (shown only now, store it safely): ${secret}` : created;
    }
    case 'rotate-key': {
      const rotation = (await postAdmin(adminUrl, adminToken, '/admin/signing-keys')) as { kid: string; retired: string[] };
      return `signing key rotated: ${rotation.kid} signs from now on; retired ${rotation.retired.join(', ') || 'none'} (published until its tokens expire)`;
    }
  }
}

async function main(argv: string[]): Promise<number> {
  let command;
  try {
    command = parseUsersCommand(argv);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    process.stderr.write(`users: ${error.message}\n\n${USAGE}\n`);
    return 2;
  }
  if (command === undefined) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const adminUrl = (process.env['AUTH_ADMIN_URL'] || DEFAULT_ADMIN_URL).replace(/\/+$/, '');
  process.stdout.write(`${await run(command, adminUrl, process.env['ADMIN_TOKEN'])}\n`);
  return 0;
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (error: unknown) => {
      // AdminCallError and secret-input messages are written for the terminal; nothing secret is in them.
      process.stderr.write(`users: ${error instanceof Error ? error.message : String(error)}\n`);
      process.exit(1);
    },
  );
}
