/**
 * The trawl command line: `deno run -A cli.ts crawl urls.txt [options]`.
 * Run with `--help` for every flag. All logic lives in `src/cli/`.
 *
 * @module
 */

if (import.meta.main) {
  try {
    // Loaded here, not imported above: a permission a dependency needs while it loads
    // (undici reads an environment variable) must become the one-line message below.
    const { runCli } = await import("./src/cli/run_cli.ts");
    Deno.exit(await runCli(Deno.args));
  } catch (error) {
    if (error instanceof Deno.errors.NotCapable || error instanceof Deno.errors.PermissionDenied) {
      const flag = /run again with the (--allow-\w+) flag/.exec(error.message)?.[1] ?? "-A";
      const what = error.message.replace(/, run again with .*$/s, "");
      console.error(`trawl: missing permission: ${what}; run again with ${flag} (or -A)`);
      Deno.exit(1);
    }
    throw error;
  }
}
