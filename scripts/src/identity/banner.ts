import type { DemoAccounts } from './demo-accounts.js';

export interface IdentityBannerPorts {
  auth: number;
  authAdmin: number;
  metadata: number;
  rating: number;
}

function signInCommand(authPort: number, username: string, password: string): string {
  return `curl -s -X POST localhost:${authPort}/tokens -H 'content-type: application/json' -d '{"username":"${username}","password":"${password}"}'`;
}

/** What to do with each account's token once signed in. */
function usageLines(username: string, ports: IdentityBannerPorts, movieId: string): string[] {
  if (username === 'demo') {
    return [`curl -X PUT localhost:${ports.rating}/ratings/movie/${movieId} -H "authorization: Bearer $TOKEN" -H 'content-type: application/json' -d '{"value":5}'`];
  }
  return [
    `curl -X PUT localhost:${ports.metadata}/metadata/tt9999999 -H "authorization: Bearer $ADMIN_JWT" -H 'content-type: application/json' -d '{"title":"Heat","year":1995,"director":"Michael Mann","actors":[]}'`,
    `curl -X PUT localhost:${ports.authAdmin}/admin/users/alice -H "authorization: Bearer $ADMIN_JWT" -H 'content-type: application/json' -d '{"password":"<8+ characters>","roles":[]}'`,
  ];
}

/**
 * The banner's lines about accounts. A generated password appears once, inside the command that signs
 * in with it; a password from a variable is not repeated. Only accounts whose sign-in worked are shown.
 */
export function identityBannerLines(accounts: DemoAccounts, ports: IdentityBannerPorts, movieId: string): string[] {
  const lines = ['Accounts (generated passwords are shown only here, never logged):'];
  for (const check of accounts.checks) {
    const { username, roles, password, source } = check.account;
    const label = `${username} (${roles.length > 0 ? `role ${roles.join(', ')}` : 'no roles'})`;
    if (!check.works) {
      lines.push(`  ${label}: signing in failed (${check.reason}); no password shown`);
      continue;
    }
    const shown = source === 'generated' ? password : `<${source}>`;
    const variable = username === 'demo' ? 'TOKEN' : 'ADMIN_JWT';
    lines.push(`  ${label}, password ${source === 'generated' ? 'generated for this run' : `from ${source}`}: sign in, then use the token`);
    lines.push(`    ${variable}=$(${signInCommand(ports.auth, username, shown)} | jq -r .access_token)`);
    for (const usage of usageLines(username, ports, movieId)) lines.push(`    ${usage}`);
  }
  if (accounts.unplanned.length > 0) {
    lines.push(
      `  with MySQL no demo password is generated: set ${accounts.unplanned.join(' and ')} ` +
        '(12+ characters for admin, 8+ for demo) and start again, or add users with npm run users',
    );
  }
  return lines;
}
