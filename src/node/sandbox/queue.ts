/** The Node `ScanQueue`: the durable job table, worked by an in-process `ScanWorker`. */

import type { ScanQueue } from '../../core/sandbox/types.js'
import type { ScanStore } from '../../core/scan-store.js'
import type { ScanWorker } from './worker.js'

export class NodeScanQueue implements ScanQueue {
  constructor(
    private readonly scans: ScanStore,
    private readonly worker: ScanWorker,
  ) {}

  async enqueue(urls: readonly string[], now: number): Promise<void> {
    const added = await this.scans.enqueue(urls, now)
    if (added > 0) this.worker.kick()
  }

  async prioritise(url: string, now: number): Promise<void> {
    await this.scans.request(url, now)
    this.worker.kick()
  }

  settled(url: string, budgetMs: number): Promise<void> {
    return this.worker.settled(url, budgetMs)
  }
}
