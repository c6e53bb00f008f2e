import { signIn, upsertUser } from './auth-api.js';
import type { DemoAccount, IdentityPlan } from './plan.js';

export type AccountCheck = { account: DemoAccount; works: true } | { account: DemoAccount; works: false; reason: string };

export interface DemoAccounts {
  /** Each planned account and whether signing in with its password worked. */
  checks: AccountCheck[];
  /** MySQL without CINEMETRICS_DEMO_* passwords: no demo accounts were made. */
  unplanned: string[];
}

export interface AuthAddresses {
  url: string;
  adminUrl: string;
}

/**
 * Makes the demo user (upserted, so the password given is the one that works) — the demo admin is
 * made by auth itself from AUTH_ADMIN_USERNAME — and signs each in once: only a password that worked
 * is printed.
 */
export async function prepareDemoAccounts(plan: IdentityPlan, auth: AuthAddresses): Promise<DemoAccounts> {
  const checks: AccountCheck[] = [];
  for (const account of [plan.demoAdmin, plan.demoUser]) {
    if (account === undefined) continue;
    try {
      if (account === plan.demoUser) await upsertUser(auth.adminUrl, plan.adminToken, account);
      await signIn(auth.url, account.username, account.password);
      checks.push({ account, works: true });
    } catch (error) {
      checks.push({ account, works: false, reason: error instanceof Error ? error.message : String(error) });
    }
  }
  const unplanned = [
    ...(plan.demoAdmin ? [] : ['CINEMETRICS_DEMO_ADMIN_PASSWORD']),
    ...(plan.demoUser ? [] : ['CINEMETRICS_DEMO_USER_PASSWORD']),
  ];
  return { checks, unplanned };
}
