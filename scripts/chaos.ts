// `npm run chaos`: the crash test at length — SIGKILL the server many times while records change, on SQLite
// and (when CONDUIT_TEST_DATABASE_URL is set) PostgreSQL, in polling and hybrid mode, with ConnectWise faults
// (cut-off bodies, stalls, 5xx, 429) switched on between the changes while polls and deliveries run.
// Then bulk: SIGKILLs during a 100k-record export and a 5k-record upload; every record exactly once.
//   node --import tsx scripts/chaos.ts [kills] [--no-faults] [--only events|bulk]   (default 100 kills per run;
//   bulk gets kills/10, at least 3, per job: each restart re-reads pages, and on PostgreSQL waits out a lease)
import { bulkChaosPassed, runBulkChaos } from '../test/e2e/bulk.chaos.ts';
import { runChaos } from '../test/e2e/events.chaos.ts';

const args = process.argv.slice(2);
const faults = !args.includes('--no-faults');
const only = args.includes('--only') ? args[args.indexOf('--only') + 1] : undefined;
if (only !== undefined && only !== 'events' && only !== 'bulk') {
  console.error(`--only takes events or bulk, not ${only}`);
  process.exit(2);
}
const kills = Number(args.find((a, i) => !a.startsWith('--') && args[i - 1] !== '--only') ?? 100);
const databaseUrl = process.env.CONDUIT_TEST_DATABASE_URL || undefined;
const stores = databaseUrl ? [undefined, databaseUrl] : [undefined];
let failed = false;
for (const store of only === 'bulk' ? [] : stores) {
  for (const vendorType of ['polling', 'hybrid'] as const) {
    const label = `${store ? 'postgresql' : 'sqlite'}/${vendorType}`;
    const report = await runChaos({
      kills,
      databaseUrl: store,
      vendorType,
      faults,
      log: (s) => process.stdout.write(`  ${label} ${s}\n`),
    });
    const ok = report.missing.length === 0 && report.conflictingDuplicates.length === 0 && report.wrong.length === 0;
    failed ||= !ok;
    console.log(
      `${ok ? 'PASS' : 'FAIL'} ${label}: ${report.kills} kills (${report.killedDuringStartup} during start-up), ${report.changes} changes, ` +
        `${report.notifications} notifications / ${report.events} events, ${report.redeliveredSameEventId} redelivered with the same eventId, ` +
        `missing ${JSON.stringify(report.missing)}, conflicting duplicates ${JSON.stringify(report.conflictingDuplicates)}, ` +
        `wrong ${JSON.stringify(report.wrong)}, fault windows ${JSON.stringify(report.faultWindows)} (${report.seconds.toFixed(0)} s)`,
    );
  }
}
for (const store of only === 'events' ? [] : stores) {
  const label = `${store ? 'postgresql' : 'sqlite'}/bulk`;
  const started = Date.now();
  const report = await runBulkChaos({
    kills: Math.max(3, Math.round(kills / 10)),
    databaseUrl: store,
    log: (s) => process.stdout.write(`  ${label} ${s}\n`),
  });
  const ok = bulkChaosPassed(report);
  failed ||= !ok;
  const line = (name: string, j: NonNullable<typeof report.upload>) =>
    `${name} ${j.status} ${j.recordsCount}/${j.expected} records (${j.recordsFailedCount} failed) after ` +
    `${j.killsMidJob} kills mid-job + ${j.killedDuringStartup} during start-up, missing ${j.missingCount} ` +
    `${JSON.stringify(j.missing)}, duplicates ${j.duplicateCount} ${JSON.stringify(j.duplicates)}` +
    `${name === 'export' ? `, out of order ${j.outOfOrder}` : ''}` +
    `${j.downloadError ? `, download failed: ${j.downloadError}` : ''} (${j.seconds.toFixed(0)} s)`;
  console.log(
    `${ok ? 'PASS' : 'FAIL'} ${label}: ${line('export', report.export)}; ` +
      `${report.upload ? line('upload', report.upload) : 'no upload'} (${((Date.now() - started) / 1000).toFixed(0)} s)`,
  );
}
process.exit(failed ? 1 : 0);
