/**
 * Internal: the rules of a group indexed by their first literal piece in a
 * radix trie, so a check visits only the rules whose first piece starts the
 * URL (a handful) instead of every rule (hundreds in large files).
 *
 * @module
 */

import { type PathPattern, restMatches } from "./_robots_pattern.ts";

/** One `Allow` or `Disallow` rule. */
export interface Rule {
  allow: boolean;
  pattern: PathPattern;
  /** 1-based line number in the file. */
  line: number;
}

interface Node {
  /** Edges by the first character code of their label. */
  edges: Map<number, Edge> | null;
  /** Rules whose first piece ends here, most specific first. */
  rules: Rule[];
}

interface Edge {
  label: string;
  node: Node;
}

/** Longest first, Allow before Disallow on a tie (RFC 9309 section 2.2.2). */
function beats(a: Rule, b: Rule): boolean {
  return a.pattern.length > b.pattern.length ||
    (a.pattern.length === b.pattern.length && a.allow && !b.allow);
}

/** Rules, ready to find the one that decides a URL. */
export class RuleTrie {
  #root: Node = { edges: null, rules: [] };

  /** Index `rules`. */
  constructor(rules: Iterable<Rule>) {
    for (const rule of rules) this.#insert(rule);
  }

  #insert(rule: Rule): void {
    const piece = rule.pattern.pieces[0];
    let node = this.#root;
    let pos = 0;
    while (pos < piece.length) {
      node.edges ??= new Map();
      const c = piece.charCodeAt(pos);
      const edge = node.edges.get(c);
      if (edge === undefined) {
        const leaf: Node = { edges: null, rules: [] };
        node.edges.set(c, { label: piece.slice(pos), node: leaf });
        node = leaf;
        break;
      }
      const max = Math.min(edge.label.length, piece.length - pos);
      let k = 1;
      while (k < max && edge.label.charCodeAt(k) === piece.charCodeAt(pos + k)) k++;
      if (k < edge.label.length) {
        const rest = edge.label.slice(k);
        const mid: Node = {
          edges: new Map([[rest.charCodeAt(0), { label: rest, node: edge.node }]]),
          rules: [],
        };
        edge.label = edge.label.slice(0, k);
        edge.node = mid;
      }
      node = edge.node;
      pos += k;
    }
    const at = node.rules.findIndex((other) => beats(rule, other));
    if (at < 0) node.rules.push(rule);
    else node.rules.splice(at, 0, rule);
  }

  /** The rule that decides `key` (a `matchKey`): the most specific match; `null` for none. */
  find(key: string): Rule | null {
    let best: Rule | null = null;
    let node = this.#root;
    let pos = 0;
    for (;;) {
      for (const rule of node.rules) {
        if (best !== null && !beats(rule, best)) break; // the rest of this node is no better
        if (restMatches(rule.pattern, key)) {
          best = rule;
          break;
        }
      }
      if (node.edges === null || pos >= key.length) return best;
      const edge = node.edges.get(key.charCodeAt(pos));
      if (edge === undefined || !key.startsWith(edge.label, pos)) return best;
      pos += edge.label.length;
      node = edge.node;
    }
  }
}
