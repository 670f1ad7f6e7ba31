/**
 * A Safe Browsing v4 threat list held locally: SHA-256 hash prefixes of 4 to
 * 32 bytes, kept as one sorted byte array per prefix size.
 *
 * The Update API refers to entries by their index in the whole list sorted
 * lexicographically (removals are "indices into the sorted list before the
 * update"), and its checksum is the SHA-256 of all prefixes concatenated in
 * that order. Almost every prefix is 4 bytes, so the groups are few and the
 * merged order is walked, never materialised as objects.
 */

export interface PrefixGroup {
  size: number
  /** Sorted prefixes of `size` bytes, concatenated. */
  data: Uint8Array
}

export const MIN_PREFIX_SIZE = 4
export const MAX_PREFIX_SIZE = 32

export class PrefixSet {
  private constructor(private readonly groups: ReadonlyMap<number, Uint8Array>) {}

  static readonly empty = new PrefixSet(new Map())

  /** Trusts that each group is sorted, as stored by `toGroups`. */
  static fromGroups(groups: readonly PrefixGroup[]): PrefixSet {
    return new PrefixSet(new Map(groups.map((group) => [group.size, group.data])))
  }

  get count(): number {
    let count = 0
    for (const [size, data] of this.groups) count += data.length / size
    return count
  }

  toGroups(): PrefixGroup[] {
    return [...this.groups].map(([size, data]) => ({ size, data }))
  }

  /** The listed prefix that starts `fullHash`, or null. */
  match(fullHash: Uint8Array): Uint8Array | null {
    for (const [size, data] of this.groups) {
      let low = 0
      let high = data.length / size - 1
      while (low <= high) {
        const mid = (low + high) >>> 1
        const order = compareAt(data, mid * size, fullHash, 0, size)
        if (order === 0) return data.slice(mid * size, (mid + 1) * size)
        if (order < 0) low = mid + 1
        else high = mid - 1
      }
    }
    return null
  }

  /** All prefixes concatenated in lexicographic order: what the checksum covers. */
  concatenated(): Uint8Array {
    const total = [...this.groups.values()].reduce((sum, data) => sum + data.length, 0)
    const out = new Uint8Array(total)
    let at = 0
    for (const [size, data, offset] of this.ordered()) {
      out.set(data.subarray(offset, offset + size), at)
      at += size
    }
    return out
  }

  /**
   * A new set: `removals` (indices into this set's lexicographic order) taken
   * out, then `additions` put in. Throws a RangeError on an index out of range
   * or a malformed addition, which the caller treats as a corrupt update.
   */
  apply(removals: readonly number[], additions: readonly PrefixGroup[]): PrefixSet {
    const count = this.count
    const removed = new Uint8Array(count)
    for (const index of removals) {
      if (!Number.isInteger(index) || index < 0 || index >= count) {
        throw new RangeError(`removal index ${index} outside 0..${count - 1}`)
      }
      removed[index] = 1
    }

    additions.forEach(checkAddition)
    const builders = new Map<number, GroupBuilder>()
    const sizes = new Set([...this.groups.keys(), ...additions.map((a) => a.size)])
    for (const size of sizes) {
      const base = this.groups.get(size)?.length ?? 0
      const extra = additions.filter((a) => a.size === size).reduce((n, a) => n + a.data.length, 0)
      builders.set(size, { data: new Uint8Array(base + extra), used: 0 })
    }

    let index = 0
    for (const [size, data, offset] of this.ordered()) {
      if (removed[index++] === 1) continue
      append(builders, size, data.subarray(offset, offset + size))
    }
    for (const addition of additions) append(builders, addition.size, addition.data)

    const groups = new Map<number, Uint8Array>()
    for (const [size, { data, used }] of builders) {
      if (used > 0) groups.set(size, sortGroup(data.subarray(0, used), size))
    }
    return new PrefixSet(groups)
  }

  /** Yields [size, groupData, offset] for every prefix in lexicographic order. */
  private *ordered(): Generator<[number, Uint8Array, number]> {
    const cursors = [...this.groups].map(([size, data]) => ({ size, data, offset: 0 }))
    for (;;) {
      let best: (typeof cursors)[number] | null = null
      for (const cursor of cursors) {
        if (cursor.offset >= cursor.data.length) continue
        if (best === null || lexLess(cursor, best)) best = cursor
      }
      if (best === null) return
      yield [best.size, best.data, best.offset]
      best.offset += best.size
    }
  }
}

interface GroupBuilder {
  data: Uint8Array
  used: number
}

function append(builders: Map<number, GroupBuilder>, size: number, bytes: Uint8Array): void {
  const builder = builders.get(size)
  if (!builder) throw new RangeError(`no room for prefixes of ${size} bytes`)
  builder.data.set(bytes, builder.used)
  builder.used += bytes.length
}

function checkAddition(addition: PrefixGroup): void {
  const { size, data } = addition
  if (!Number.isInteger(size) || size < MIN_PREFIX_SIZE || size > MAX_PREFIX_SIZE) {
    throw new RangeError(`prefix size ${size} outside ${MIN_PREFIX_SIZE}..${MAX_PREFIX_SIZE}`)
  }
  if (data.length % size !== 0) throw new RangeError('additions are not a whole number of prefixes')
}

interface Cursor {
  size: number
  data: Uint8Array
  offset: number
}

/** Byte order, and a prefix of another sorts first (shorter first on a tie). */
function lexLess(a: Cursor, b: Cursor): boolean {
  const order = compareAt(a.data, a.offset, b.data, b.offset, Math.min(a.size, b.size))
  return order < 0 || (order === 0 && a.size < b.size)
}

function compareAt(a: Uint8Array, aAt: number, b: Uint8Array, bAt: number, length: number): number {
  for (let i = 0; i < length; i++) {
    const diff = (a[aAt + i] ?? 0) - (b[bAt + i] ?? 0)
    if (diff !== 0) return diff
  }
  return 0
}

/** Sorts fixed-size entries in place; 4-byte prefixes as big-endian integers, fast. */
function sortGroup(data: Uint8Array, size: number): Uint8Array {
  const count = data.length / size
  if (size === 4) {
    const view = new DataView(data.buffer, data.byteOffset, data.byteLength)
    const values = new Uint32Array(count)
    for (let i = 0; i < count; i++) values[i] = view.getUint32(i * 4)
    values.sort()
    const out = new Uint8Array(data.length)
    const outView = new DataView(out.buffer)
    for (let i = 0; i < count; i++) outView.setUint32(i * 4, values[i] ?? 0)
    return out
  }

  const order = Array.from({ length: count }, (_, i) => i)
  order.sort((x, y) => compareAt(data, x * size, data, y * size, size))
  const out = new Uint8Array(data.length)
  order.forEach((from, to) => out.set(data.subarray(from * size, (from + 1) * size), to * size))
  return out
}
