// Deno's built-in OpenTelemetry (OTEL_DENO=true) registers its provider
// behind `@opentelemetry/api`: a real `tock tick` exports tock's spans to
// an OTLP/HTTP receiver without any SDK in tock.
import { deepEqual as assertEquals, ok as assert } from "node:assert/strict";
import { CLAIM_SPAN, RUN_SPAN } from "../../src/runtime/tracing.ts";

const MAIN = new URL("../../src/cli/main.ts", import.meta.url).pathname;

interface OtlpValue {
  readonly stringValue?: string;
  readonly doubleValue?: number;
  readonly intValue?: string | number;
  readonly boolValue?: boolean;
}
interface OtlpSpan {
  readonly name: string;
  readonly attributes?: { key: string; value: OtlpValue }[];
  readonly status?: { code?: number };
}
interface OtlpTraces {
  readonly resourceSpans: {
    readonly scopeSpans: {
      readonly scope: { readonly name: string };
      readonly spans: OtlpSpan[];
    }[];
  }[];
}

function attributes(span: OtlpSpan): Record<string, unknown> {
  return Object.fromEntries(
    (span.attributes ?? []).map(({ key, value }) => [
      key,
      value.stringValue ?? value.doubleValue ??
        (value.intValue !== undefined ? Number(value.intValue) : undefined) ??
        value.boolValue,
    ]),
  );
}

async function tock(
  args: string[],
  env: Record<string, string> = {},
): Promise<void> {
  const { code, stderr } = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", MAIN, ...args],
    env,
    stdout: "null",
    stderr: "piped",
  }).output();
  assertEquals(code, 0, new TextDecoder().decode(stderr));
}

Deno.test("tock tick with OTEL_DENO=true exports tock.claim and tock.run spans over OTLP/HTTP", async () => {
  const dir = await Deno.makeTempDir({ prefix: "tock-otel-" });
  const received: OtlpTraces[] = [];
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen() {} },
    async (request) => {
      const body = await request.text();
      if (new URL(request.url).pathname === "/v1/traces") {
        received.push(JSON.parse(body) as OtlpTraces);
      }
      return Response.json({});
    },
  );
  try {
    const store = ["--store", `${dir}/store`];
    await tock([
      "add",
      "sync",
      "--schedule",
      "@daily",
      "--cmd",
      "true",
      ...store,
    ]);
    await tock(["trigger", "sync", ...store]);
    await tock(["tick", ...store], {
      OTEL_DENO: "true",
      OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${server.addr.port}`,
      OTEL_EXPORTER_OTLP_PROTOCOL: "http/json",
      OTEL_SERVICE_NAME: "tock",
    });
    const spans = received.flatMap((r) =>
      r.resourceSpans.flatMap((rs) =>
        rs.scopeSpans.filter((ss) => ss.scope.name === "tock")
          .flatMap((ss) => ss.spans)
      )
    );
    const runs = spans.filter((s) => s.name === RUN_SPAN);
    assertEquals(runs.length, 1, JSON.stringify(spans.map((s) => s.name)));
    const run = attributes(runs[0]!);
    assertEquals(
      [run["tock.job"], run["tock.trigger"], run["tock.attempt"]],
      ["sync", "manual", 1],
    );
    assertEquals(run["tock.outcome"], "succeeded");
    assert(typeof run["tock.slot"] === "string");
    const claims = spans.filter((s) => s.name === CLAIM_SPAN).map(attributes);
    assert(claims.some((c) => c["tock.claim.runs_claimed"] === 1));
    assert(claims.every((c) => typeof c["tock.instance"] === "string"));
  } finally {
    await server.shutdown();
    await Deno.remove(dir, { recursive: true });
  }
});
