// How many connections the client's requests share and how long an idle one stays: the
// defaults, a program's --kube-api-connections, and bad values refused by name.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { connectionLimits } from "../../../../runtime/kube/transport.ts";
import { ConfigError, parseRuntimeConfig } from "../../../../runtime/program/config.ts";

test("requests share 32 connections by default, an idle one closing after 90 s", () => {
  assert.equal(connectionLimits({}), { maxConnections: 32, idleMs: 90_000 });
  assert.equal(connectionLimits({ maxConnections: 2, idleMs: 250 }), { maxConnections: 2, idleMs: 250 });
  for (const bad of [0, -1, 1.5, Number.NaN, Infinity]) {
    assert.throws(() => connectionLimits({ maxConnections: bad }), /maxConnections must be a whole number >= 1/);
  }
  for (const bad of [0, -5, Number.NaN, Infinity]) {
    assert.throws(() => connectionLimits({ idleMs: bad }), /idleMs must be a number > 0/);
  }
});

test("--kube-api-connections ($KUBE_API_CONNECTIONS) sets them; 0 or a fraction is refused by name", () => {
  assert.is(parseRuntimeConfig([], {}).kubeApiConnections, 32);
  assert.is(parseRuntimeConfig(["--kube-api-connections=8"], {}).kubeApiConnections, 8);
  assert.is(parseRuntimeConfig([], { KUBE_API_CONNECTIONS: "64" }).kubeApiConnections, 64);
  for (const value of ["0", "2.5"]) {
    assert.throws(
      () => parseRuntimeConfig([`--kube-api-connections=${value}`], {}),
      (error: Error) =>
        error instanceof ConfigError && /--kube-api-connections must be a whole number >= 1/.test(error.message),
    );
  }
});

test.run();
