// Runs cli.ts in a subprocess, as a user would.
const CLI = new URL("../../cli.ts", import.meta.url).pathname;

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** Options of {@linkcode runCommand} and {@linkcode runCli}. */
export interface RunOptions {
  cwd?: string;
  stdin?: string;
  env?: Record<string, string>;
}

/** Run `cmd` (program and arguments) in a subprocess, with no colour and no Deno update check. */
export async function runCommand(cmd: string[], options: RunOptions = {}): Promise<CliRun> {
  const child = new Deno.Command(cmd[0], {
    args: cmd.slice(1),
    cwd: options.cwd,
    stdin: options.stdin === undefined ? "null" : "piped",
    stdout: "piped",
    stderr: "piped",
    // No update check: Deno would send it through a proxy named in the test's environment.
    env: { NO_COLOR: "1", DENO_NO_UPDATE_CHECK: "1", ...options.env },
  }).spawn();
  if (options.stdin !== undefined) {
    const writer = child.stdin.getWriter();
    await writer.write(new TextEncoder().encode(options.stdin));
    await writer.close();
  }
  const { code, stdout, stderr } = await child.output();
  const decoder = new TextDecoder();
  return { code, stdout: decoder.decode(stdout), stderr: decoder.decode(stderr) };
}

/** Run `deno run -A cli.ts ...args`. */
export function runCli(args: string[], options: RunOptions = {}): Promise<CliRun> {
  return runCommand([Deno.execPath(), "run", "-A", CLI, ...args], options);
}

export function parseJsonl(text: string): Record<string, unknown>[] {
  return text.split("\n").filter((line) => line.trim() !== "").map((line) => JSON.parse(line));
}

export { CLI };
