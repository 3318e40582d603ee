// `npm run chaos`: the crash test at length — SIGKILL the server many times while records change, on SQLite
// and (when CONDUIT_TEST_DATABASE_URL is set) PostgreSQL, in polling and hybrid mode, with ConnectWise faults
// (cut-off bodies, stalls, 5xx, 429) switched on between the changes while polls and deliveries run.
//   node --import tsx scripts/chaos.ts [kills] [--no-faults]      (default 100 kills per run)
import { runChaos } from '../test/e2e/events.chaos.ts';

const args = process.argv.slice(2);
const faults = !args.includes('--no-faults');
const kills = Number(args.find((a) => !a.startsWith('--')) ?? 100);
const databaseUrl = process.env.CONDUIT_TEST_DATABASE_URL || undefined;
let failed = false;
for (const store of databaseUrl ? [undefined, databaseUrl] : [undefined]) {
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
process.exit(failed ? 1 : 0);
