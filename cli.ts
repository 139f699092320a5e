/**
 * The trawl command line: `deno run -A cli.ts crawl urls.txt [options]`.
 * Run with `--help` for every flag. All logic lives in `src/cli/`.
 *
 * @module
 */

import { runCli } from "./src/cli/run_cli.ts";

if (import.meta.main) Deno.exit(await runCli(Deno.args));
