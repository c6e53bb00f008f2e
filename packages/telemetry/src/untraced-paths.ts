const UNTRACED_PATH_PREFIXES = ['/.well-known/', '/metrics'];

/** Probes and scrapes arrive every few seconds and explain nothing: they get no traces. */
export function isUntracedPath(path: string): boolean {
  return UNTRACED_PATH_PREFIXES.some((prefix) => path.startsWith(prefix));
}
