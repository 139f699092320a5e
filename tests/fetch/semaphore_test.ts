import assert from "node:assert/strict";
import { Semaphore } from "../../src/fetch/semaphore.ts";
import { parseRetryAfter, retryDelayMs } from "../../src/fetch/_retry_policy.ts";
import { toTrawlError } from "../../src/fetch/_error_code.ts";
import { checkFdBudget } from "../../src/fetch/_fd_limit.ts";

Deno.test("Semaphore: hands slots over in FIFO order and skips aborted waiters", async () => {
  const sem = new Semaphore(1);
  assert.ok(sem.tryAcquire());
  assert.equal(sem.tryAcquire(), false);
  const order: number[] = [];
  const ctl = new AbortController();
  const a = sem.acquire().then(() => order.push(1));
  const b = sem.acquire(ctl.signal).then(() => order.push(2), () => order.push(-2));
  const c = sem.acquire().then(() => order.push(3));
  assert.equal(sem.waiting, 3);
  ctl.abort();
  await b;
  assert.equal(sem.waiting, 2);
  sem.release();
  await a;
  sem.release();
  await c;
  sem.release();
  assert.deepEqual(order, [-2, 1, 3]);
  assert.equal(sem.available, 1);
});

Deno.test("retry policy: full jitter, capped, Retry-After in seconds and HTTP-date", () => {
  assert.equal(retryDelayMs(0, 100, 10_000, () => 0.5), 50);
  assert.equal(retryDelayMs(3, 100, 10_000, () => 0.999), 799);
  assert.equal(retryDelayMs(20, 100, 1000, () => 0.999), 999);
  assert.equal(retryDelayMs(0, 100, 1000, () => 0), 0);
  assert.equal(parseRetryAfter("3"), 3000);
  assert.equal(parseRetryAfter("soon"), null);
  assert.equal(parseRetryAfter(undefined), null);
  const now = Date.parse("Wed, 21 Oct 2015 07:28:00 GMT");
  assert.equal(parseRetryAfter("Wed, 21 Oct 2015 07:28:10 GMT", now), 10_000);
  assert.equal(parseRetryAfter("Wed, 21 Oct 2015 07:27:00 GMT", now), 0);
});

Deno.test("error codes are read from the code property", () => {
  const withCode = (code: string) => Object.assign(new Error("whatever"), { code });
  assert.equal(toTrawlError(withCode("ECONNREFUSED"), "u").code, "CONNECTION_REFUSED");
  assert.equal(toTrawlError(withCode("ECONNRESET"), "u").code, "CONNECTION_RESET");
  assert.equal(toTrawlError(withCode("UND_ERR_SOCKET"), "u").code, "CONNECTION_RESET");
  assert.equal(toTrawlError(withCode("ENOTFOUND"), "u").code, "DNS_ERROR");
  assert.equal(toTrawlError(withCode("EAI_AGAIN"), "u").code, "DNS_ERROR");
  assert.equal(toTrawlError(withCode("ERR_TLS_CERT_ALTNAME_INVALID"), "u").code, "TLS_ERROR");
  assert.equal(toTrawlError(withCode("EWHATEVER"), "u").code, "NETWORK_ERROR");
  assert.equal(toTrawlError(new Error("ECONNREFUSED"), "u").code, "NETWORK_ERROR");
  assert.equal(
    toTrawlError(new Error("x", { cause: withCode("ECONNRESET") }), "u").code,
    "CONNECTION_RESET",
  );
});

Deno.test("fd budget: refuses a cap above the limit minus the margin, names the fix", () => {
  assert.equal(checkFdBudget(1000, 20_000), 20_000 - 256);
  assert.equal(checkFdBudget(1000, null), Infinity);
  assert.throws(() => checkFdBudget(19_900, 20_000), /ulimit -n/);
  assert.throws(() => checkFdBudget(1000, 1024), /1024/);
});
