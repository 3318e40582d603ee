/** The simulator's clock: wall time plus a settable offset (fault "clock offset"). */
export class Clock {
  offsetSeconds = 0;
  now(): number {
    return Date.now() + this.offsetSeconds * 1000;
  }
}
