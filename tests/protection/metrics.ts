import { parseSamples, type Sample } from '@cinemetrics/testing';

export { sumOf, type Sample } from '@cinemetrics/testing';

/** Scrapes `GET /metrics` on an admin port. */
export async function scrape(adminUrl: string): Promise<Sample[]> {
  const response = await fetch(`${adminUrl}/metrics`);
  if (response.status !== 200) throw new Error(`GET ${adminUrl}/metrics answered ${response.status}`);
  return parseSamples(await response.text());
}
