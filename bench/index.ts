/** `npm run bench`: every benchmark, each printed as a ratio against a peer run side by side. */
import { benchProvider } from "./provider-bench.js";

await benchProvider();
