/**
 * Turning a feed download into lines or JSON values without ever holding the
 * whole file: the full URLhaus dump is hundreds of megabytes, and the memory
 * budget for an import is 64 MB. Compression is recognised by its magic
 * bytes (gzip, zip), because feed hosts label their files inconsistently.
 */

import { JSONParser } from '@streamparser/json'
import { Unzip, UnzipInflate, type UnzipFile } from 'fflate'

import type { Bytes } from '../bytes.js'
import { ProviderError } from './fetch.js'

/**
 * Largest decompressed feed we read. The full URLhaus JSON dump is well
 * under this; the cap stops a decompression bomb or a runaway download.
 */
export const MAX_FEED_BYTES = 2 * 1024 * 1024 * 1024

/** Longest line we keep. Real feed lines are far shorter; longer is corrupt or hostile. */
export const MAX_LINE_CHARS = 64 * 1024

export interface ByteCounter {
  /** Called with the running count of bytes received (before decompression). */
  (received: number): void
}

/** Counts raw bytes, sniffs compression and returns the decompressed bytes. */
export async function* decodedChunks(
  body: ReadableStream<Uint8Array>,
  onBytes: ByteCounter = () => {},
): AsyncGenerator<Uint8Array> {
  const raw = counted(body, onBytes)
  const first = await raw.next()
  if (first.done) return

  const head = first.value
  const chunks = prepend(head, raw)
  let decoded: AsyncGenerator<Uint8Array>
  if (head[0] === 0x1f && head[1] === 0x8b) decoded = gunzip(chunks)
  else if (head[0] === 0x50 && head[1] === 0x4b && head[2] === 0x03) decoded = unzipFirst(chunks)
  else if (head[0] === 0x42 && head[1] === 0x5a && head[2] === 0x68) {
    throw new ProviderError('unsupported_compression', 'bzip2 feeds are not supported; use gzip')
  } else decoded = chunks

  let total = 0
  for await (const chunk of decoded) {
    total += chunk.length
    if (total > MAX_FEED_BYTES) {
      throw new ProviderError('too_large', `feed larger than ${MAX_FEED_BYTES} bytes`)
    }
    yield chunk
  }
}

/**
 * Text lines without their line ends, a batch per received chunk (one await
 * per chunk rather than per line keeps a million-line import fast). A leading
 * BOM is dropped and over-long lines are skipped.
 */
export async function* textLines(chunks: AsyncIterable<Uint8Array>): AsyncGenerator<string[]> {
  const decoder = new TextDecoder('utf-8', { ignoreBOM: false })
  let pending = ''

  for await (const chunk of chunks) {
    pending += decoder.decode(chunk, { stream: true })
    const lines: string[] = []
    let start = 0
    for (let end = pending.indexOf('\n'); end >= 0; end = pending.indexOf('\n', start)) {
      const line = pending.slice(start, end)
      start = end + 1
      if (line.length <= MAX_LINE_CHARS) lines.push(line.endsWith('\r') ? line.slice(0, -1) : line)
    }
    pending = pending.slice(start)
    if (pending.length > MAX_LINE_CHARS) pending = ''
    if (lines.length > 0) yield lines
  }

  pending += decoder.decode()
  if (pending.length > 0 && pending.length <= MAX_LINE_CHARS) yield [pending.replace(/\r$/, '')]
}

/** Values at `path` (a @streamparser/json path such as `$.*`), a batch per received chunk. */
export async function* jsonValues(
  chunks: AsyncIterable<Uint8Array>,
  path: string,
): AsyncGenerator<unknown[]> {
  const parser = new JSONParser({ paths: [path], keepStack: false })
  const ready: unknown[] = []
  parser.onValue = ({ value }) => {
    ready.push(value)
  }

  try {
    for await (const chunk of chunks) {
      // The parser ends itself when the top-level value closes; a trailing newline is not data.
      if (parser.isEnded) break
      parser.write(chunk)
      if (ready.length > 0) yield ready.splice(0)
    }
    if (!parser.isEnded) parser.end()
  } catch (err) {
    if (err instanceof ProviderError) throw err
    throw new ProviderError('bad_json', 'the feed is not valid JSON', { cause: err })
  }
  if (ready.length > 0) yield ready.splice(0)
}

async function* counted(
  body: ReadableStream<Uint8Array>,
  onBytes: ByteCounter,
): AsyncGenerator<Uint8Array> {
  const reader = body.getReader()
  let received = 0
  try {
    for (;;) {
      const { done, value } = await reader.read()
      if (done) return
      received += value.length
      onBytes(received)
      yield value
    }
  } finally {
    // Stops the download when the consumer gives up early (error or size limit).
    await reader.cancel().catch(() => undefined)
  }
}

async function* prepend(
  head: Uint8Array,
  rest: AsyncGenerator<Uint8Array>,
): AsyncGenerator<Uint8Array> {
  yield head
  yield* rest
}

async function* gunzip(chunks: AsyncIterable<Uint8Array>): AsyncGenerator<Uint8Array> {
  const stream = new DecompressionStream('gzip')
  const writer = stream.writable.getWriter()
  let sourceError: unknown = null
  const pump = (async () => {
    try {
      for await (const chunk of chunks) await writer.write(plainBytes(chunk))
      await writer.close()
    } catch (err) {
      sourceError = err
      await writer.abort(err).catch(() => undefined)
    }
  })()

  const reader = stream.readable.getReader()
  try {
    for (;;) {
      const { done, value } = await reader.read()
      if (done) break
      yield value
    }
  } catch (err) {
    await pump
    // A failed download is reported as itself, not as bad compression.
    if (sourceError) throw sourceError
    throw new ProviderError('bad_gzip', 'the feed is not valid gzip', { cause: err })
  }
  await pump
  if (sourceError) throw sourceError
}

/** The first file of a zip archive (URLhaus zips hold exactly one). */
async function* unzipFirst(chunks: AsyncIterable<Uint8Array>): AsyncGenerator<Uint8Array> {
  const unzip = new Unzip()
  unzip.register(UnzipInflate)
  const ready: Uint8Array[] = []
  let opened: UnzipFile | null = null
  let failure: unknown = null

  unzip.onfile = (file) => {
    if (opened) return
    opened = file
    file.ondata = (err, data) => {
      if (err) failure = err
      else ready.push(data)
    }
    file.start()
  }

  for await (const chunk of chunks) {
    unzip.push(chunk)
    if (failure)
      throw new ProviderError('bad_zip', 'the feed is not a valid zip', { cause: failure })
    yield* ready.splice(0)
  }
  unzip.push(new Uint8Array(0), true)
  yield* ready.splice(0)
  if (!opened) throw new ProviderError('bad_zip', 'the zip archive holds no file')
}

/** The same bytes over a plain ArrayBuffer, which DecompressionStream requires. */
function plainBytes(chunk: Uint8Array): Bytes {
  return chunk.buffer instanceof ArrayBuffer
    ? new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength)
    : chunk.slice()
}
