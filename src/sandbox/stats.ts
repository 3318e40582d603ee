export interface RequestRecord {
  method: string;
  /** Path under apis/3.0 (or the full path outside it), without the query. */
  path: string;
  /** Route template, e.g. `GET /company/contacts/{id}`. */
  route: string;
  query: Record<string, string>;
  status: number;
  at: string;
}

const MAX_LOG = 2000;

/** Request counts per method+path (and per route template), resettable; tests use them to prove push-down. */
export class RequestStats {
  private byPath = new Map<string, number>();
  private byRoute = new Map<string, number>();
  private log: RequestRecord[] = [];
  private total = 0;

  record(rec: RequestRecord): void {
    this.total++;
    const key = `${rec.method} ${rec.path}`;
    this.byPath.set(key, (this.byPath.get(key) ?? 0) + 1);
    this.byRoute.set(rec.route, (this.byRoute.get(rec.route) ?? 0) + 1);
    this.log.push(rec);
    if (this.log.length > MAX_LOG) this.log.splice(0, this.log.length - MAX_LOG);
  }

  reset(): void {
    this.byPath = new Map();
    this.byRoute = new Map();
    this.log = [];
    this.total = 0;
  }

  snapshot(): {
    total: number;
    paths: Record<string, number>;
    routes: Record<string, number>;
    requests: RequestRecord[];
  } {
    return {
      total: this.total,
      paths: Object.fromEntries(this.byPath),
      routes: Object.fromEntries(this.byRoute),
      requests: [...this.log],
    };
  }
}
