import assert from "node:assert/strict";
import fc from "fast-check";
import { compilePattern, matchKey, type PathPattern } from "../../src/robots/_robots_pattern.ts";
import { type Rule, RuleTrie } from "../../src/robots/_rule_trie.ts";

/** The reference: every rule tried, as a regular expression over the compare form. */
function reference(rules: Rule[], key: string): Rule | null {
  let best: Rule | null = null;
  for (const rule of rules) {
    if (!toRegExp(rule.pattern).test(key)) continue;
    const len = rule.pattern.length;
    if (
      best === null || len > best.pattern.length ||
      (len === best.pattern.length && rule.allow && !best.allow)
    ) best = rule;
  }
  return best;
}

function toRegExp(pattern: PathPattern): RegExp {
  const quoted = pattern.pieces.map((p) => p.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"));
  return new RegExp(`^${quoted.join("[^]*")}${pattern.anchored ? "$" : ""}`);
}

const char = fc.constantFrom("/", "a", "b", "*", "$", "%2A", "%24", ".", "?", "=", "é");
const ruleText = fc.array(char, { minLength: 1, maxLength: 8 }).map((cs) => `/${cs.join("")}`);
const keyText = fc.array(fc.constantFrom("/", "a", "b", "*", "$", ".", "?", "="), {
  maxLength: 10,
}).map((cs) => `/${cs.join("")}`);

Deno.test("property: the trie finds the rule a scan of every rule finds", () => {
  fc.assert(
    fc.property(
      fc.array(fc.tuple(ruleText, fc.boolean()), { maxLength: 12 }),
      fc.array(keyText, { minLength: 1, maxLength: 8 }),
      (specs, keys) => {
        const rules = specs.map(([text, allow], i) => ({
          allow,
          pattern: compilePattern(text)!,
          line: i + 1,
        }));
        const trie = new RuleTrie(rules);
        for (const raw of keys) {
          const key = matchKey(raw);
          const want = reference(rules, key);
          const got = trie.find(key);
          // Equal specificity and kind (ties between equal rules may pick either line).
          assert.equal(got?.allow, want?.allow, `${key} in ${specs.map((s) => s[0])}`);
          assert.equal(got?.pattern.length, want?.pattern.length, key);
        }
      },
    ),
    { numRuns: 3000 },
  );
});

Deno.test("compilePattern: compare form, wildcards, anchor and specificity", () => {
  assert.deepEqual(compilePattern("/a*b$"), { pieces: ["/a", "b"], anchored: true, length: 5 });
  assert.deepEqual(compilePattern("x"), { pieces: ["/x"], anchored: false, length: 2 });
  assert.deepEqual(compilePattern("*.gif$"), { pieces: ["", ".gif"], anchored: true, length: 6 });
  assert.deepEqual(compilePattern("/%2a%24$")?.pieces, ["/*$"]);
  assert.deepEqual(compilePattern("/%7e%2fé|")?.pieces, ["/~%2F%C3%A9%7C"]);
  assert.equal(compilePattern(""), null);
  assert.equal(matchKey("/%2A/%24/x|y/%C3%A9"), "/*/$/x%7Cy/%C3%A9");
});
