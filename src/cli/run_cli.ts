/**
 * The trawl command line: parses the arguments and runs the command they name.
 *
 * @module
 */

import { HELP } from "./help.ts";
import { parseFlags } from "./parse_flags.ts";
import { runCrawlCommand, say } from "./crawl_command.ts";
import { permissionsCommand } from "./print_permissions.ts";
import { runRedisCrawlCommand } from "./redis_crawl_command.ts";
import { runCollectCommand } from "./collect_command.ts";
import { runStatusCommand } from "./status_command.ts";
import { runScheduleCommand } from "./schedule_command.ts";
import { runJobsCommand } from "./jobs_command.ts";

/**
 * Run the command line `args`; resolves to the exit status: 0 success, 1 a fatal
 * error, 2 a usage error.
 *
 * @example From a script
 * ```ts ignore
 * import { runCli } from "./run_cli.ts";
 *
 * Deno.exit(await runCli(["crawl", "urls.txt", "--quiet"]));
 * ```
 */
export async function runCli(args: string[]): Promise<number> {
  if (args[0] === "schedule") return await runScheduleCommand(args.slice(1));
  if (args[0] === "jobs") return await runJobsCommand(args.slice(1));
  let command;
  try {
    command = parseFlags(args);
  } catch (error) {
    say(`trawl: ${(error as Error).message}\n`);
    return 2;
  }
  if (command.kind === "help") {
    await Deno.stdout.write(new TextEncoder().encode(HELP));
    return 0;
  }
  if (command.kind === "collect") return await runCollectCommand(command);
  if (command.kind === "status") return await runStatusCommand(command);
  if (command.printPermissions) {
    await Deno.stdout.write(
      new TextEncoder().encode(`${await permissionsCommand(command, args)}\n`),
    );
    return 0;
  }
  if (command.redis !== null) return await runRedisCrawlCommand(command);
  return await runCrawlCommand(command);
}
