/**
 * A compact, read-only set of 53-bit hashes: one sorted Float64Array, looked
 * up by binary search. A million feed entries take 8 MB and a lookup is about
 * twenty comparisons, with no per-entry objects for the garbage collector.
 *
 * 53 bits, not 64, because the hashes are also stored in SQLite and read back
 * through D1, whose JavaScript numbers are exact only up to 2^53. A false
 * match (about one in 10^9 lookups at a million entries) costs one confirming
 * SQL query that compares the stored text; it never produces a finding.
 */

/**
 * cyrb53-style string hash (after bryc's public-domain cyrb53): two 32-bit
 * multiply-xorshift lanes folded into 53 bits; `seed` separates key kinds without
 * building a prefixed copy of every key. Not cryptographic, and it need
 * not be: feed publishers are not adversaries of the index, and every hit is
 * confirmed against the stored text.
 */
export function hash53(text: string, seed = 0): number {
  let h1 = 0xdeadbeef ^ seed
  let h2 = 0x41c6ce57 ^ seed
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i)
    h1 = Math.imul(h1 ^ code, 2654435761)
    h2 = Math.imul(h2 ^ code, 1597334677)
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507)
  h1 ^= Math.imul(h2 ^ (h2 >>> 13), 3266489909)
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507)
  h2 ^= Math.imul(h1 ^ (h1 >>> 13), 3266489909)
  return 4294967296 * (2097151 & h2) + (h1 >>> 0)
}

export class HashSet53 {
  private constructor(private readonly sorted: Float64Array) {}

  static readonly empty = new HashSet53(new Float64Array(0))

  /** Trusts that `values` is sorted ascending without duplicates (as SQL returns the key). */
  static fromSorted(values: Float64Array): HashSet53 {
    return new HashSet53(values)
  }

  get size(): number {
    return this.sorted.length
  }

  /** The sorted values themselves, to hand the index to another thread (transferable). */
  values(): Float64Array {
    return this.sorted
  }

  has(value: number): boolean {
    return this.indexOf(value) >= 0
  }

  /** Position of `value`, or -1. Lets a sync mark which old entries it saw again. */
  indexOf(value: number): number {
    const sorted = this.sorted
    let low = 0
    let high = sorted.length - 1
    while (low <= high) {
      const mid = (low + high) >>> 1
      const at = sorted[mid] ?? 0
      if (at === value) return mid
      if (at < value) low = mid + 1
      else high = mid - 1
    }
    return -1
  }

  at(index: number): number {
    return this.sorted[index] ?? 0
  }
}
