/** What `moat scan` reports about a batch of requests. */
import type { HttpRequest } from "../core/http-request.ts";
import { TopK } from "../core/top-k.ts";
import type { Rejections, RejectionSample } from "../parse/rejections.ts";
import type { Verdict } from "../detect/verdict.ts";

export interface ScanSummary {
  requests: number;
  rejected: number;
  inputs: { source: string; format: string }[];
  failedInputs: { source: string; error: string }[];
  methods: [string, number][];
  statuses: [string, number][];
  topPaths: [string, number][];
  topClients: [string, number][];
  /** Present when requests were judged. */
  detection: { modelVersion: string; threshold: number; flagged: number; byAttackType: [string, number][]; bySeverity: [string, number][] } | null;
  rejectedBySource: { source: string; count: number; samples: RejectionSample[] }[];
  firstTime: string | null;
  lastTime: string | null;
}

export class SummaryBuilder {
  private requests = 0;
  private readonly methods = new TopK(1000);
  private readonly statuses = new TopK(1000);
  private readonly paths = new TopK();
  private readonly clients = new TopK();
  private firstTime: number | null = null;
  private lastTime: number | null = null;
  private detection: { modelVersion: string; threshold: number; flagged: number; types: TopK; severities: TopK } | null = null;
  readonly inputs: { source: string; format: string }[] = [];
  readonly failedInputs: { source: string; error: string }[] = [];

  add(req: HttpRequest, verdict?: Verdict): void {
    this.requests++;
    if (verdict) {
      this.detection ??= { modelVersion: verdict.modelVersion, threshold: verdict.threshold, flagged: 0, types: new TopK(100), severities: new TopK(10) };
      if (verdict.isAnomaly) {
        this.detection.flagged++;
        this.detection.types.add(verdict.attackType ?? "anomaly");
        this.detection.severities.add(verdict.severity);
      }
    }
    this.methods.add(req.method || "(none)");
    this.statuses.add(req.status === null ? "-" : String(req.status));
    this.paths.add(req.path);
    this.clients.add(req.clientIp || "(unknown)");
    if (req.time !== null) {
      if (this.firstTime === null || req.time < this.firstTime) this.firstTime = req.time;
      if (this.lastTime === null || req.time > this.lastTime) this.lastTime = req.time;
    }
  }

  build(rejections: Rejections, top = 10): ScanSummary {
    const iso = (t: number | null) => (t === null ? null : new Date(t).toISOString());
    return {
      requests: this.requests,
      rejected: rejections.total,
      inputs: this.inputs,
      failedInputs: this.failedInputs,
      methods: this.methods.top(50),
      statuses: this.statuses.top(50),
      topPaths: this.paths.top(top),
      topClients: this.clients.top(top),
      detection: this.detection && {
        modelVersion: this.detection.modelVersion,
        threshold: this.detection.threshold,
        flagged: this.detection.flagged,
        byAttackType: this.detection.types.top(100),
        bySeverity: this.detection.severities.top(10),
      },
      rejectedBySource: [...rejections.bySource].map(([source, e]) => ({ source, count: e.count, samples: e.samples })),
      firstTime: iso(this.firstTime),
      lastTime: iso(this.lastTime),
    };
  }
}
