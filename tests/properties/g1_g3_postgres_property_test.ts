// G1 (at most once) and G3 (no silent drop) on the PostgreSQL store: the
// world of tests/properties/_world.ts with every instance holding its own
// store object (its own connections, as a separate process would), each run
// in a fresh schema. Pinned to a few runs so that it stays within seconds;
// TOCK_PROPERTY_RUNS raises it for `deno task test:props`.
import fc from "fast-check";
import { createPostgresStore } from "../../src/store/postgres/postgres_store.ts";
import type { JobInput } from "../../src/jobs/define_job.ts";
import { World } from "./_world.ts";
import { jobArb, runStep, type Step, stepArb } from "./_world_steps.ts";
import { propertyParams } from "./_runs.ts";
import {
  dropSchema,
  freshSchema,
  ignorePostgres,
  PG_URL,
} from "../store/postgres/_pg.ts";

const ignore = ignorePostgres("G1/G3 property on PostgreSQL");

const worldArb = fc.record({
  instances: fc.integer({ min: 2, max: 4 }),
  jobs: jobArb,
  steps: fc.array(stepArb, { minLength: 5, maxLength: 40 }),
  probe: fc.boolean(),
});

async function live(
  input: { instances: number; jobs: JobInput[]; steps: Step[]; probe: boolean },
  check: (world: World) => Promise<void>,
) {
  const schema = freshSchema();
  const world = new World(
    () => createPostgresStore({ url: PG_URL, schema, poolSize: 2 }),
    { probe: input.probe, sideBySide: true },
  );
  try {
    await world.start(input.instances, input.jobs);
    for (const step of input.steps) await runStep(world, step);
    await check(world);
  } finally {
    await world.close();
    await dropSchema(schema);
  }
}

Deno.test({
  name:
    "G1 and G3 on PostgreSQL: no (job, slot) runs twice and every slot up to now has one outcome, across interleavings, clock jumps and crashes",
  ignore,
  async fn() {
    await fc.assert(
      fc.asyncProperty(
        worldArb,
        (input) =>
          live(input, async (world) => {
            await world.quiesce(); // G1 is checked as runs start
            await world.checkLedger();
          }),
      ),
      propertyParams(8),
    );
  },
});
