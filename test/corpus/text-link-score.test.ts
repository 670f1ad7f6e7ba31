/**
 * Plain-text link detection scored on peer suites: linkify-it's fixtures,
 * twitter-text's extraction conformance and the GFM autolink examples. A case
 * passes when the scanner finds exactly the expected web links (e-mail
 * addresses and ftp are not web links, so those expectations are dropped).
 * Each suite's score is pinned so that it cannot fall.
 */

import { decodeHTML } from 'entities'
import { afterAll, describe, expect, it } from 'vitest'
import { parse } from 'yaml'

import { scanText } from '../../src/core/rewrite/text.js'
import { HAS_CORPUS, readVector } from './support.js'

interface Case {
  text: string
  expected: string[]
}

/** Passing cases per suite when this was last measured; a run may only match or beat them. */
const PINNED: Record<string, number> = {
  'linkify-it links': 99,
  'linkify-it not_links': 38,
  'twitter-text urls': 75,
  'gfm autolink': 9,
}

function isWebLink(link: string): boolean {
  return !/^(mailto|ftp):/i.test(link) && !/^[^/:]+@[^/]+$/.test(link)
}

function found(text: string): string[] {
  return scanText(text).links.map((link) => link.text)
}

/** linkify-it: `%` comments; an input line, then its link, or a blank line for "the whole line". */
function linkifyLinks(): Case[] {
  const lines = readVector('linkify-it/links.txt').split('\n')
  const cases: Case[] = []
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] ?? ''
    if (line === '' || line.startsWith('%')) continue

    const next = lines[i + 1] ?? ''
    const expected = next === '' ? line : next
    if (next !== '') i++
    if (isWebLink(expected)) cases.push({ text: line, expected: [expected] })
  }
  return cases
}

function linkifyNotLinks(): Case[] {
  return readVector('linkify-it/not_links.txt')
    .split('\n')
    .filter((line) => line !== '' && !line.startsWith('%'))
    .map((text) => ({ text, expected: [] }))
}

function twitterUrls(): Case[] {
  const doc: unknown = parse(readVector('twitter-text/extract.yml'))
  const tests = (doc as { tests: Record<string, { text: string; expected: unknown[] }[]> }).tests
  const plain = (tests['urls'] ?? []).map((t) => ({
    text: t.text,
    expected: t.expected.map(String),
  }))
  const indexed = (tests['urls_with_indices'] ?? []).map((t) => ({
    text: t.text,
    expected: t.expected.map((e) => String((e as { url: string }).url)),
  }))
  return [...plain, ...indexed]
}

/** GFM examples: markdown before the `.` line, HTML after; the expected links are the anchors' texts. */
function gfmExamples(): Case[] {
  const spec = readVector('gfm-autolink/gfm-spec-0.29-autolinks-extension.txt')
  const examples = spec.split(/^`{32} example autolink\n/m).slice(1)
  return examples.map((example) => {
    const [markdown = '', html = ''] = example.split(/^`{32}$/m)[0]?.split(/^\.\n/m) ?? []
    const anchors = [...html.matchAll(/<a href="([^"]*)">([^<]*)<\/a>/g)]
    const expected = anchors
      .filter((a) => isWebLink(decodeHTML(a[1] ?? '')))
      .map((a) => decodeHTML(a[2] ?? ''))
    return { text: markdown, expected }
  })
}

describe.skipIf(!HAS_CORPUS)('plain-text link detection against peer suites', () => {
  const scores: string[] = []
  afterAll(() => console.log(`plain-text link detection:\n${scores.join('\n')}`))

  const suites: [string, () => Case[]][] = [
    ['linkify-it links', linkifyLinks],
    ['linkify-it not_links', linkifyNotLinks],
    ['twitter-text urls', twitterUrls],
    ['gfm autolink', gfmExamples],
  ]

  it.each(suites)('%s', (name, load) => {
    const cases = load()
    const misses = cases.filter((c) => JSON.stringify(found(c.text)) !== JSON.stringify(c.expected))
    const passed = cases.length - misses.length

    scores.push(
      `  ${name}: ${passed}/${cases.length} (${((100 * passed) / cases.length).toFixed(1)}%)`,
    )
    for (const miss of misses.slice(0, 60)) {
      scores.push(
        `    miss: ${JSON.stringify(miss.text)} -> ${JSON.stringify(found(miss.text))}, expected ${JSON.stringify(miss.expected)}`,
      )
    }
    expect(cases.length).toBeGreaterThan(5)
    expect(passed).toBeGreaterThanOrEqual(PINNED[name] ?? cases.length)
  })
})
