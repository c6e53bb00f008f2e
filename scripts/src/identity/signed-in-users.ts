import { signIn, upsertUser } from './auth-api.js';
import { randomSecret } from './plan.js';
import { TokenSource } from './token-source.js';

/**
 * Users a script acts as, made on first use through auth's admin API (upserted with a password made
 * for this run and never shown, so a rerun or a restarted auth works) and signed in like anyone else;
 * their tokens are refreshed before they expire.
 */
export class SignedInUsers {
  private readonly users = new Map<string, TokenSource>();

  constructor(
    private readonly auth: { url: string; adminUrl: string },
    private readonly adminToken: string,
  ) {}

  user(username: string): TokenSource {
    let source = this.users.get(username);
    if (source === undefined) {
      const password = randomSecret();
      let made: Promise<unknown> | undefined;
      source = new TokenSource(async () => {
        made ??= upsertUser(this.auth.adminUrl, this.adminToken, { username, password, roles: [] }).catch((error: unknown) => {
          made = undefined;
          throw error;
        });
        await made;
        return signIn(this.auth.url, username, password);
      });
      this.users.set(username, source);
    }
    return source;
  }
}
