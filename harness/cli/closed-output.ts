/**
 * A reader that goes away (`aire run … | head`, a `tee` that died) closes the pipe under standard
 * output; Node then reports EPIPE as an error event that, unheard, crashed the command: a run
 * stopped as an internal error (exit 3) and printed that four times. A closed output is not the
 * command's failure: it stops printing there and goes on, so that a run still rolls its faults back
 * on schedule and writes every result file, and says once, on the other stream, what happened.
 * @module
 */
const closedCodes = new Set(["EPIPE", "ERR_STREAM_DESTROYED"]);

export function tolerateClosedOutput(): void {
  const streams = [
    { stream: process.stdout, name: "standard output", other: process.stderr },
    { stream: process.stderr, name: "standard error", other: process.stdout },
  ];
  for (const { stream, name, other } of streams) {
    let closed = false;
    stream.on("error", (err: NodeJS.ErrnoException) => {
      // Anything else is a real fault of this process: let it reach the crash handler.
      if (!closedCodes.has(err.code ?? "")) throw err;
      if (closed) return;
      closed = true;
      if (!other.destroyed && other.writable) other.write(`aire: ${name} was closed (EPIPE); nothing more is printed there, and the command goes on: its files are written as usual\n`);
    });
  }
}
