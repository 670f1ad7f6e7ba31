/**
 * The first match at or after an offset, for a scan whose offsets only grow.
 * The last answer is kept: a match found from an earlier offset, or the lack
 * of one, still holds for a later offset before that match. Asking at every
 * construct of a document therefore costs one search pass over it in all,
 * where searching afresh each time would be quadratic.
 */
export class ForwardSearch<T extends { start: number }> {
  private searchedFrom = Infinity
  private found: T | null = null
  /** How many times `find` ran: once per distinct match, however many offsets it answers. */
  searches = 0

  constructor(private readonly find: (from: number) => T | null) {}

  next(from: number): T | null {
    const cached = from >= this.searchedFrom && (this.found === null || this.found.start >= from)
    if (cached) return this.found

    this.searches++
    this.found = this.find(from)
    this.searchedFrom = from
    return this.found
  }
}
