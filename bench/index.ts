/** `npm run bench`: every benchmark, each printed side by side with a peer run on this machine. */
import { benchGateway } from "./gateway-bench.js";
import { benchProvider } from "./provider-bench.js";
import { benchProxy } from "./proxy-bench.js";
import { benchScale, benchTraffic } from "./traffic-bench.js";
import { benchInstructions } from "./instructions-bench.js";
import { benchExports } from "./export-bench.js";
import { benchWorkers } from "./workers-bench.js";
import { benchGameday } from "./gameday-bench.js";

const only = process.argv[2];
if (!only || only === "provider") await benchProvider();
if (!only || only === "proxy") await benchProxy();
if (!only || only === "gateway") await benchGateway();
if (!only || only === "traffic") await benchTraffic();
if (!only || only === "scale") await benchScale();
if (!only || only === "exports") await benchExports();
if (!only || only === "workers") await benchWorkers();
if (!only || only === "gameday") await benchGameday();
// About 10 minutes under valgrind: only when asked for.
if (only === "instructions") await benchInstructions();
