/** What a benchmark ran on, for the report header. */
import { readFileSync } from "node:fs";
import { availableParallelism, totalmem, release } from "node:os";

export interface MachineInfo {
  nproc: number;
  cpuModel: string;
  memoryGb: number;
  kernel: string;
  bun: string;
}

function machineInfo(): MachineInfo {
  let cpuModel = "unknown";
  try {
    const m = /^model name\s*:\s*(.+)$/m.exec(readFileSync("/proc/cpuinfo", "utf8"));
    if (m) cpuModel = m[1]!.trim();
  } catch {
    // not Linux: keep "unknown"
  }
  return {
    nproc: availableParallelism(),
    cpuModel,
    memoryGb: Math.round(totalmem() / 2 ** 30),
    kernel: release(),
    bun: `${Bun.version} (${Bun.revision.slice(0, 9)})`,
  };
}

/** Markdown lines describing the machine. */
export function describeMachine(info: MachineInfo = machineInfo()): string[] {
  return [
    `- machine: ${info.nproc} CPUs (nproc), ${info.cpuModel}, ${info.memoryGb} GB RAM, Linux ${info.kernel}`,
    `- bun: ${info.bun}`,
  ];
}
