/**
 * prom-client, pinned: the one place its version is named. It writes the
 * Prometheus text exposition format of `tock serve`'s and `tock start
 * --http`'s `/metrics` (the command line only; the library never loads it).
 *
 * @module
 */

import client from "npm:prom-client@15.1.3";

export default client;
