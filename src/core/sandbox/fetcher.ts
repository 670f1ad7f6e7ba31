/**
 * What the page scanner needs from a runtime: fetch one URL, no redirects
 * followed, with every network safety check applied. Node implements it with
 * undici and a guarded connector; a runtime without a connect hook (Workers)
 * cannot, and uses the external scanners instead.
 */

export interface FetchedPage {
  url: string
  status: number
  /** Lower-case names; repeated headers joined with ", ". */
  headers: Record<string, string>
  /** At most the bytes asked for by `bodyLimit`. */
  body: Uint8Array
  /** The body went on past what was read. */
  truncated: boolean
}

export interface FetchOptions {
  signal: AbortSignal
  /** How many body bytes to read, decided from the status and headers. */
  bodyLimit: (status: number, headers: Record<string, string>) => number
}

export interface PageFetcher {
  /** Throws `ScanFetchError` for anything refused or failed. */
  fetch(url: string, options: FetchOptions): Promise<FetchedPage>
}
