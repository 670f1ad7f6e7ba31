/**
 * A batch of clicks as columns, for the trip to the writer thread. Cloning
 * an array of objects makes the structured-clone algorithm write every
 * property name of every click; columns write each name once per batch and
 * the numbers as typed arrays, which measured about three times cheaper on
 * the thread that answers clicks.
 */

import type { PendingClick } from '../core/clicks/recorder.js'

export interface ClickColumns {
  count: number
  at: Float64Array
  linkId: Float64Array
  /** NaN where the click has no message reference. */
  messageRef: Float64Array
  automated: Uint8Array
  recipientRef: (string | null)[]
  keyId: string[]
  verdict: string[]
  reason: (string | null)[]
  userAgent: (string | null)[]
  ip: (string | null)[]
  evidence: (string | null)[]
  method: string[]
}

export function toColumns(batch: readonly PendingClick[]): ClickColumns {
  const count = batch.length
  const columns: ClickColumns = {
    count,
    at: new Float64Array(count),
    linkId: new Float64Array(count),
    messageRef: new Float64Array(count),
    automated: new Uint8Array(count),
    recipientRef: new Array<string | null>(count),
    keyId: new Array<string>(count),
    verdict: new Array<string>(count),
    reason: new Array<string | null>(count),
    userAgent: new Array<string | null>(count),
    ip: new Array<string | null>(count),
    evidence: new Array<string | null>(count),
    method: new Array<string>(count),
  }
  batch.forEach((click, i) => setRow(columns, i, click))
  return columns
}

function setRow(columns: ClickColumns, i: number, click: PendingClick): void {
  columns.at[i] = click.at
  columns.linkId[i] = click.linkId
  columns.messageRef[i] = click.messageRef ?? NaN
  columns.automated[i] = click.automated ? 1 : 0
  columns.recipientRef[i] = click.recipientRef
  columns.keyId[i] = click.keyId
  columns.verdict[i] = click.verdict
  columns.reason[i] = click.reason
  columns.userAgent[i] = click.userAgent
  columns.ip[i] = click.ip
  columns.evidence[i] = click.evidence
  columns.method[i] = click.method
}

export function fromColumns(columns: ClickColumns): PendingClick[] {
  const clicks: PendingClick[] = []
  for (let i = 0; i < columns.count; i++) clicks.push(row(columns, i))
  return clicks
}

function row(columns: ClickColumns, i: number): PendingClick {
  const messageRef = columns.messageRef[i] ?? NaN
  return {
    at: columns.at[i] ?? 0,
    linkId: columns.linkId[i] ?? 0,
    messageRef: Number.isNaN(messageRef) ? null : messageRef,
    recipientRef: columns.recipientRef[i] ?? null,
    keyId: columns.keyId[i] ?? '',
    verdict: columns.verdict[i] ?? '',
    reason: columns.reason[i] ?? null,
    userAgent: columns.userAgent[i] ?? null,
    ip: columns.ip[i] ?? null,
    automated: columns.automated[i] === 1,
    evidence: columns.evidence[i] ?? null,
    method: columns.method[i] ?? '',
  }
}
