// An in-memory stand-in for the host's iptables (save, restore --noflush, -I, -D) and
// `ip route`, answering through the CommandRunner interface the proxy and the routes use.
import type { CommandOptions, CommandResult, CommandRunner } from "../../agent/runtime/command";
import { splitRuleArgs } from "../../agent/sandbox/iptables-leftovers";

type Table = Map<string, string[]>; // chain → rule lines (arguments after "-A <chain>", joined)

const BUILTIN: Record<string, string[]> = {
  nat: ["PREROUTING", "INPUT", "OUTPUT", "POSTROUTING"],
  filter: ["INPUT", "FORWARD", "OUTPUT"],
};

function ok(stdout = ""): CommandResult {
  return { code: 0, stdout, stderr: "" };
}

function fail(stderr: string): CommandResult {
  return { code: 1, stdout: "", stderr };
}

export interface FakeRoute {
  cidr: string;
  via: string;
  proto: string;
}

export class FakeHost implements CommandRunner {
  readonly tables = new Map<string, Table>();
  readonly calls: { cmd: string; args: string[]; input?: string }[] = [];
  routes: FakeRoute[] = [];
  /** Make the next call of this command fail. */
  failNext = new Set<string>();

  constructor() {
    for (const [name, chains] of Object.entries(BUILTIN)) this.tables.set(name, new Map(chains.map((c) => [c, []])));
  }

  /** Rules of a chain as text, e.g. "-m comment --comment x -j y". */
  chain(table: string, chain: string): string[] | undefined {
    return this.tables.get(table)?.get(chain);
  }

  chainNames(table: string): string[] {
    return [...(this.tables.get(table)?.keys() ?? [])];
  }

  addRule(table: string, chain: string, rule: string): void {
    this.tables.get(table)!.get(chain)!.push(rule);
  }

  save(): string {
    const out: string[] = [];
    for (const [name, table] of this.tables) {
      out.push(`*${name}`);
      for (const chain of table.keys()) out.push(`:${chain} ${BUILTIN[name]?.includes(chain) ? "ACCEPT" : "-"} [0:0]`);
      for (const [chain, rules] of table) for (const r of rules) out.push(`-A ${chain} ${r}`);
      out.push("COMMIT");
    }
    return out.join("\n") + "\n";
  }

  async run(cmd: string, args: string[], opts: CommandOptions = {}): Promise<CommandResult> {
    this.calls.push({ cmd, args, input: opts.input });
    if (this.failNext.delete(cmd)) return fail(`${cmd}: injected failure`);
    if (cmd === "iptables-save") return ok(this.save());
    if (cmd === "iptables-restore") return this.restore(opts.input ?? "");
    if (cmd === "iptables") return this.iptables(args.filter((a) => a !== "-w"));
    if (cmd === "ip") return this.ip(args);
    return fail(`${cmd}: not found`);
  }

  private restore(text: string): CommandResult {
    // Validate everything first: a transaction applies completely or not at all.
    const staged = new Map([...this.tables].map(([k, t]) => [k, new Map([...t].map(([c, r]) => [c, [...r]]))]));
    let table: Table | undefined;
    for (const line of text.split("\n")) {
      if (!line || line.startsWith("#")) continue;
      if (line.startsWith("*")) {
        table = staged.get(line.slice(1));
        if (!table) staged.set(line.slice(1), (table = new Map()));
      } else if (line === "COMMIT") table = undefined;
      else if (!table) return fail(`line outside a table: ${line}`);
      else if (line.startsWith(":")) table.set(line.slice(1).split(" ")[0], []);
      else if (line.startsWith("-A ")) {
        const args = splitRuleArgs(line);
        if (!table.has(args[1])) return fail(`no chain ${args[1]}`);
        const target = args[args.lastIndexOf("-j") + 1];
        if (/^[a-z0-9]+-/.test(target) && !table.has(target)) return fail(`no chain/target ${target}`);
        table.get(args[1])!.push(line.slice(3 + args[1].length + 1));
      } else if (line.startsWith("-X ")) {
        const chain = line.slice(3);
        for (const [c, rules] of table) if (rules.some((r) => r.endsWith(`-j ${chain}`))) return fail(`chain ${chain} is referenced from ${c}`);
        table.delete(chain);
      } else return fail(`cannot parse ${line}`);
    }
    this.tables.clear();
    for (const [k, v] of staged) this.tables.set(k, v);
    return ok();
  }

  private iptables(args: string[]): CommandResult {
    const tableName = args[0] === "-t" ? args[1] : "filter";
    const rest = args[0] === "-t" ? args.slice(2) : args;
    const table = this.tables.get(tableName);
    const [op, chain] = rest;
    const rules = table?.get(chain);
    if (!rules) return fail(`no chain ${chain}`);
    if (op === "-I") {
      const at = Number(rest[2]) - 1;
      rules.splice(at, 0, line(rest.slice(3)));
      return ok();
    }
    if (op === "-D") {
      const i = rules.indexOf(line(rest.slice(2)));
      if (i === -1) return fail("Bad rule (does a matching rule exist in that chain?)");
      rules.splice(i, 1);
      return ok();
    }
    return fail(`unsupported ${op}`);
  }

  private ip(args: string[]): CommandResult {
    const a = args[0] === "-4" ? args.slice(1) : args;
    if (a[0] !== "route") return fail("unsupported");
    const protoAt = a.indexOf("proto");
    const proto = protoAt === -1 ? "boot" : a[protoAt + 1];
    if (a[1] === "show") {
      return ok(this.routes.filter((r) => protoAt === -1 || r.proto === proto).map((r) => `${r.cidr} via ${r.via} dev eth0 \n`).join(""));
    }
    const cidr = a[2];
    const via = a[a.indexOf("via") + 1];
    if (a[1] === "replace") {
      this.routes = [...this.routes.filter((r) => r.cidr !== cidr), { cidr, via, proto }];
      return ok();
    }
    if (a[1] === "del") {
      const before = this.routes.length;
      this.routes = this.routes.filter((r) => !(r.cidr === cidr && r.via === via && r.proto === proto));
      return this.routes.length < before ? ok() : fail("RTNETLINK answers: No such process");
    }
    return fail("unsupported");
  }
}

/** Joins arguments back into a rule line the way the restore text quotes them. */
function line(args: string[]): string {
  return args.map((a) => (/[\s"]/.test(a) ? `"${a.replace(/"/g, '\\"')}"` : a)).join(" ");
}
