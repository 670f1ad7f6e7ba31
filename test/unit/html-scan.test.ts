import { parse, type DefaultTreeAdapterTypes } from 'parse5'
import { describe, expect, it } from 'vitest'

import { scanHtml } from '../../src/core/rewrite/html.js'
import { EndifFinder } from '../../src/core/rewrite/html-conditional.js'
import type { HtmlLink, HtmlScan } from '../../src/core/rewrite/types.js'

/** Scans and checks the invariants every result must keep. */
function scan(src: string): HtmlScan {
  const result = scanHtml(src)
  expectWellFormed(src, result.links)
  return result
}

/** Offsets point at the raw value, in document order, never overlapping. */
function expectWellFormed(src: string, links: HtmlLink[]): void {
  let previousEnd = -1
  for (const link of links) {
    expect(src.slice(link.start, link.end)).toBe(link.raw)
    expect(link.start).toBeGreaterThanOrEqual(previousEnd)
    previousEnd = link.end
  }
}

function raws(src: string): string[] {
  return scan(src).links.map((link) => link.raw)
}

/** Replaces each link's value, working backwards so earlier offsets stay valid. */
function splice(src: string, links: HtmlLink[], replace: (raw: string) => string): string {
  let out = src
  for (const link of [...links].reverse()) {
    out = out.slice(0, link.start) + replace(link.raw) + out.slice(link.end)
  }
  return out
}

describe('scanHtml: values are returned raw (case 4)', () => {
  const src = [
    '<a href="https://shop.example/reset?key=K1&amp;id=7">a</a>',
    '<a href="https://shop.example/p?a=1&#38;b=2">b</a>',
    '<a href="https://shop.example/q?x=1&copy=2">c</a>',
    '<a href="https://shop.example/q?lang=en&amp;amp;x=1">d</a>',
  ].join('\n')

  it('does not decode character references', () => {
    expect(raws(src)).toEqual([
      'https://shop.example/reset?key=K1&amp;id=7',
      'https://shop.example/p?a=1&#38;b=2',
      'https://shop.example/q?x=1&copy=2',
      'https://shop.example/q?lang=en&amp;amp;x=1',
    ])
  })

  it('reports each value as double quoted, from an a element', () => {
    for (const link of scan(src).links) {
      expect(link).toMatchObject({ quote: 'double', source: 'a' })
    }
  })
})

describe('scanHtml: attribute syntax variety (case 5)', () => {
  const src = [
    "<A HREF='https://a.example/one'>1</A>",
    '<a href=https://b.example/two>2</a>',
    '<a title="x" href = "https://c.example/three/">3</a>',
    '<a data-mce-href="https://d.example/four" href="https://d.example/four">4</a>',
    `<a href="https://e.example/it's">5</a>`,
  ].join('\n')

  it('finds exactly the five hrefs', () => {
    expect(raws(src)).toEqual([
      'https://a.example/one',
      'https://b.example/two',
      'https://c.example/three/',
      'https://d.example/four',
      "https://e.example/it's",
    ])
  })

  it('records how each value was quoted', () => {
    expect(scan(src).links.map((link) => link.quote)).toEqual([
      'single',
      'none',
      'double',
      'double',
      'double',
    ])
  })

  it('ends an unquoted value at whitespace or >', () => {
    expect(raws('<a href=https://b.example/two\tclass=x>2</a>')).toEqual(['https://b.example/two'])
    expect(raws('<a href=https://b.example/two>https://b.example/two</a>')).toEqual([
      'https://b.example/two',
    ])
  })

  it('accepts whitespace and newlines around =', () => {
    expect(raws('<a\nhref\n=\n"https://c.example/">x</a>')).toEqual(['https://c.example/'])
  })

  it('ignores attributes that only contain "href" in their name', () => {
    expect(
      raws('<a data-href="https://x.example/" data-mce-href="https://y.example/">x</a>'),
    ).toEqual([])
  })
})

describe('scanHtml: base and non-link attributes (case 7)', () => {
  const src = [
    '<head><base href="https://forum.example.org/forums/"></head>',
    '<a href="index.php?t=rview&amp;goto=5#msg_5">View</a>',
    '<a href="/help">Help</a>',
    '<img src="theme/logo.png">',
  ].join('\n')

  it('returns the raw base href and the relative links', () => {
    const result = scan(src)
    expect(result.baseHref).toBe('https://forum.example.org/forums/')
    expect(result.links.map((link) => link.raw)).toEqual([
      'index.php?t=rview&amp;goto=5#msg_5',
      '/help',
    ])
  })

  it('is null without a base element', () => {
    expect(scan('<a href="/x">x</a>').baseHref).toBeNull()
    expect(scan('<base target="_blank"><a href="/x">x</a>').baseHref).toBeNull()
  })

  it('takes the first base that has an href, wherever it is', () => {
    const result = scan(
      '<base target="_top"><base href="/"><body><base href="https://late.example/">',
    )
    expect(result.baseHref).toBe('/')
  })

  it('keeps a valueless <base href> as the empty string (HTML 4.2.3: it still wins)', () => {
    expect(scan('<base href><base href="https://x.example/">').baseHref).toBe('')
  })

  it('ignores a base inside a template, whose content is not in the document (HTML 4.12.3)', () => {
    // Taking "#" here would leave /pay unrewritten while the browser resolves it against evil.
    const src =
      '<template><base href="#"></template><base href="https://evil.example/"><a href="/pay">'
    expect(scan(src).baseHref).toBe('https://evil.example/')
    expect(
      scan('<TEMPLATE><template></template><base href=a></Template ><base href=b>').baseHref,
    ).toBe('b')
    expect(scan('<svg><template></svg><base href=a>').baseHref).toBe('a')
  })

  it('does not report the base href as a link', () => {
    expect(scan('<base href="https://x.example/">').links).toEqual([])
  })
})

describe('scanHtml: Outlook VML and conditional comments (case 8)', () => {
  const target = 'https://pay.example.com/inv/991'
  const src = [
    '<!--[if mso]>',
    `<v:roundrect xmlns:v="urn:schemas-microsoft-com:vml" href="${target}" style="height:40px;width:200px" arcsize="10%" fillcolor="#1a73e8"><w:anchorlock/><center>Pay</center></v:roundrect>`,
    '<![endif]-->',
    `<!--[if !mso]><!-- --><a href="${target}">Pay</a><!--<![endif]-->`,
    '<![if !mso]><p>web only</p><![endif]>',
  ].join('\n')

  it('finds the VML href inside the conditional comment and the revealed <a>', () => {
    const links = scan(src).links
    expect(links.map((link) => [link.source, link.raw])).toEqual([
      ['vml', target],
      ['a', target],
    ])
  })

  it('reports offsets in the coordinates of the whole document', () => {
    const [vml, anchor] = scan(src).links
    expect(vml?.start).toBe(src.indexOf(target))
    expect(anchor?.start).toBe(src.lastIndexOf(target))
  })

  it('leaves every other byte identical when both values are replaced', () => {
    const replacement = 'https://go.safelink.example/r/AbC'
    const out = splice(src, scan(src).links, () => replacement)
    expect(out).toBe(src.split(target).join(replacement))
  })

  it('labels a and area inside a conditional comment as mso-a and mso-area', () => {
    const doc =
      '<!--[if gte mso 9]><a href="https://m.example/a">a</a>' +
      '<map><area href="https://m.example/b"></map><![endif]-->'
    expect(scan(doc).links.map((link) => [link.source, link.raw])).toEqual([
      ['mso-a', 'https://m.example/a'],
      ['mso-area', 'https://m.example/b'],
    ])
  })

  it('accepts any condition, any case and loose whitespace', () => {
    const docs = [
      '<!--[IF MSO]><v:rect href="https://m.example/1"/><![ENDIF]-->',
      '<!--[if (gte mso 9)|(IE)]>\n<v:oval href="https://m.example/1"></v:oval>\n<![endif] -->',
      '<!-- [ if mso ] ><V:Shape HREF="https://m.example/1"></V:Shape><! [ endif ]-->',
    ]
    for (const doc of docs) {
      expect(scan(doc).links.map((link) => [link.source, link.raw])).toEqual([
        ['vml', 'https://m.example/1'],
      ])
    }
  })

  it('does not treat ordinary comments as markup', () => {
    expect(raws('<!-- [note] <a href="https://c.example/">x</a> -->')).toEqual([])
    expect(raws('<!--[if mso]><a href="https://c.example/">no endif -->')).toEqual([])
  })

  it('reports VML hrefs outside conditional comments too', () => {
    const links = scan('<v:roundrect href="https://v.example/">x</v:roundrect>').links
    expect(links.map((link) => link.source)).toEqual(['vml'])
  })

  it('finds links inside <![if !mso]> downlevel-revealed blocks as ordinary links', () => {
    const links = scan('<![if !mso]><a href="https://w.example/">w</a><![endif]>').links
    expect(links.map((link) => [link.source, link.raw])).toEqual([['a', 'https://w.example/']])
  })

  it('ignores <base> inside a conditional comment', () => {
    expect(scan('<!--[if mso]><base href="https://m.example/"><![endif]-->').baseHref).toBeNull()
  })
})

describe('scanHtml: reports every href, whatever it points at (cases 9, 10, 11)', () => {
  it('reports fragments, non-web schemes and script schemes unclassified', () => {
    const values = [
      'https://docs.example.com/guide?v=2#install',
      '#top',
      'mailto:billing@example.com?subject=Invoice%20991',
      'MAILTO:x@example.com',
      'tel:+1-555-0100',
      'sms:+15550100',
      'cid:logo@part',
      '  JaVaScRiPt:alert(1)',
      'java&#x09;script:alert(1)',
      'data:text/html;base64,PHNjcmlwdD4=',
      'vbscript:msgbox(1)',
    ]
    const src = values.map((value) => `<a href="${value}">x</a>`).join('\n')
    expect(raws(src)).toEqual(values)
  })

  it('reports empty values (the caller decides what they mean)', () => {
    expect(scan('<a href="">x</a><a href=>y</a>').links.map((link) => link.quote)).toEqual([
      'double',
      'none',
    ])
  })
})

describe('scanHtml: text that is not markup', () => {
  const cases: Array<[string, string]> = [
    ['title', '<title><a href="https://t.example/">x</a></title>'],
    ['script', `<script>document.write('<a href="https://s.example/">')</script>`],
    ['style', '<style>a[href="x"]{} .x{background:url(https://css.example/a.png)}</style>'],
    ['textarea', '<textarea><a href="https://ta.example/">x</a></textarea>'],
    ['xmp', '<xmp><a href="https://xmp.example/">x</a></xmp>'],
    ['iframe', '<iframe><a href="https://if.example/">x</a></iframe>'],
    ['noembed', '<noembed><a href="https://ne.example/">x</a></noembed>'],
    ['noframes', '<noframes><a href="https://nf.example/">x</a></noframes>'],
    ['comment', '<!-- <a href="https://c.example/">x</a> -->'],
    ['attribute value', `<p title="<a href='https://x.example/'>">x</p>`],
    ['data-href', '<a data-href="https://d.example/">x</a>'],
    ['inline CSS url()', '<div style="background:url(https://css.example/)">x</div>'],
    ['img src', '<img src="https://img.example/a.png">'],
    ['plaintext', '<plaintext><a href="https://pt.example/">x</a>'],
  ]

  it.each(cases)('finds no link in %s', (_name, src) => {
    expect(raws(src)).toEqual([])
  })

  it('finds the link after a raw-text element ends', () => {
    const src = '<title>T</TITLE ><a href="https://after.example/">x</a>'
    expect(raws(src)).toEqual(['https://after.example/'])
  })

  it('parses <noscript> content as markup (scripting disabled, as in mail clients)', () => {
    expect(raws('<noscript><a href="https://ns.example/">x</a></noscript>')).toEqual([
      'https://ns.example/',
    ])
  })
})

describe('scanHtml: duplicates and malformed input', () => {
  it('keeps only the first href of an element', () => {
    expect(raws('<a href="https://first.example/" HREF="https://second.example/">x</a>')).toEqual([
      'https://first.example/',
    ])
  })

  it('lets a valueless first href hide later ones, as the tokenizer drops duplicates', () => {
    expect(raws('<a href href="https://second.example/">x</a>')).toEqual([])
  })

  it('skips attributes without a value', () => {
    expect(raws('<a href>x</a><area href/>')).toEqual([])
  })

  it('drops a tag that the input ends inside', () => {
    expect(raws('<a href="https://x.example/">x</a><a href="https://cut.example/')).toEqual([
      'https://x.example/',
    ])
  })

  it('never throws on junk', () => {
    const junk = [
      '<',
      '<a',
      '<a href',
      '<a href=',
      '<!',
      '<!--',
      '</',
      '<![CDATA[',
      '<svg><![CDATA[',
    ]
    for (const src of junk) expect(() => scanHtml(src)).not.toThrow()
  })

  it('scans a 200,000-level nested document without recursion', () => {
    const depth = 200_000
    const src = `${'<div>'.repeat(depth)}<a href="https://deep.example/">x</a>${'</div>'.repeat(depth)}`
    expect(raws(src)).toEqual(['https://deep.example/'])
  })

  it('handles a binary string with bytes 0x80-0xFF around links', () => {
    const high = Array.from({ length: 128 }, (_, i) => String.fromCharCode(0x80 + i)).join('')
    const src = `<p>${high}<a href="https://x.example/\xc3\xa9?q=\xff">\xe2\x80\x9c${high}</a>${high}<a href='/b\x80'>`
    expect(raws(src)).toEqual(['https://x.example/\xc3\xa9?q=\xff', '/b\x80'])
  })
})

describe('scanHtml: places where a plain tokenizer would desync from a browser', () => {
  it('keeps script data escaped after <!--<script> (HTML 13.2.5.26)', () => {
    const src =
      '<script><!--<script></script><a href="https://no.example/">--></script><a href="https://yes.example/">'
    expect(raws(src)).toEqual(['https://yes.example/'])
  })

  it('ends an escaped script at </script> when not double escaped', () => {
    const src = '<script><!--<script></script><!--</script><a href="https://evil.example/">x</a>'
    expect(raws(src)).toEqual(['https://evil.example/'])
  })

  it('ends <![CDATA[ at the first > in HTML content (13.2.5.42)', () => {
    expect(raws('<![CDATA[x]><a href="https://evil.example/">y</a>]]>')).toEqual([
      'https://evil.example/',
    ])
  })

  it('skips a real CDATA section inside SVG', () => {
    const src =
      '<svg><![CDATA[<a href="https://no.example/">]]></svg><a href="https://yes.example/">'
    expect(raws(src)).toEqual(['https://yes.example/'])
  })

  it('reads attributes in end tags, so a quoted > does not end them', () => {
    expect(raws('</x a="><!--"><a href="https://evil.example/">x</a>-->')).toEqual([
      'https://evil.example/',
    ])
  })

  it('parses <style> and <title> inside SVG as markup', () => {
    const src =
      '<svg><style><a href="https://svg.example/">x</a></style><title><a href="https://t.example/">'
    expect(raws(src)).toEqual(['https://svg.example/', 'https://t.example/'])
  })

  it('returns to HTML rules after an element that breaks out of SVG', () => {
    const src = '<svg><p><style><b title="</style><a href="https://yes.example/">'
    expect(raws(src)).toEqual(['https://yes.example/'])
  })

  it('ends comments where browsers do: <!-->, <!--->, --!> (13.2.5.43-13.2.5.52)', () => {
    const src = [
      '<!--><a href="https://one.example/">',
      '<!---><a href="https://two.example/">',
      '<!-- x --!><a href="https://three.example/">',
      '<!-- <a href="https://hidden.example/"> -- ! ---><a href="https://four.example/">',
    ].join('')
    expect(raws(src)).toEqual([
      'https://one.example/',
      'https://two.example/',
      'https://three.example/',
      'https://four.example/',
    ])
  })

  it('reads the quoted values of tags it has no use for, so their > and < hide nothing', () => {
    const src = `<td style="a>b" title='<a href="https://no.example/">'><a href="https://yes.example/">`
    expect(raws(src)).toEqual(['https://yes.example/'])
  })

  it('keeps quotes and = inside an unquoted value (13.2.5.38)', () => {
    expect(raws(`<a href=https://x.example/?a="b'=c>x</a>`)).toEqual([`https://x.example/?a="b'=c`])
  })

  it('treats HTML inside an SVG integration point as HTML', () => {
    const src =
      '<svg><foreignObject><style><a href="https://no.example/"></style></foreignObject></svg>'
    expect(raws(src)).toEqual([])
  })
})

describe('scanHtml: documents with SVG or MathML follow the tree builder', () => {
  it.each([
    [
      'an HTML end tag closes the SVG inside it',
      '<div><svg></div><style><g title="</style><a href=x>">',
      ['x'],
    ],
    ['raw text after that is not markup', '<div><svg></div><style><a href=x></style>', []],
    [
      '</svg> is ignored while an HTML child of <desc> is open',
      '<svg><desc><span></svg></span></desc><style><a href=z>',
      ['z'],
    ],
    [
      '<malignmark> after an HTML child of <mi> is HTML',
      '<math><mi><ruby><malignmark><![CDATA[<li><a href=u0>',
      ['u0'],
    ],
  ])('%s', (_name, src, expected) => {
    expect(raws(src)).toEqual(expected)
  })

  it('keeps the fast scan for a document over 1 MiB, which parse5 could not be stopped in', () => {
    const tricky = '<div><svg></div><style><g title="</style><a href=x>">'
    const padding = `<p>${'x'.repeat(1024 * 1024)}</p>`
    expect(raws(tricky + '<p>small</p>')).toEqual(['x'])
    // Over the bound the tree builder is not asked: the fast scan's reading stands.
    expect(raws(tricky + padding)).toEqual([])
  })

  it('reads SVG links written with xlink:href, and lets href win over it (SVG 2)', () => {
    const src =
      '<svg><a xlink:href="https://one.example/"><text>1</text></a>' +
      '<a xlink:href="https://no.example/" href="https://two.example/"><text>2</text></a></svg>'
    expect(raws(src)).toEqual(['https://one.example/', 'https://two.example/'])
  })

  it('keeps the links of Outlook conditional comments, marked as such', () => {
    const src =
      '<svg></svg><!--[if mso]><a href="https://mso.example/">x</a><![endif]--><a href="https://doc.example/">y</a>'
    expect(scan(src).links.map((link) => [link.source, link.raw])).toEqual([
      ['mso-a', 'https://mso.example/'],
      ['a', 'https://doc.example/'],
    ])
  })

  it('takes the base in tree order, leaving out template contents', () => {
    const result = scan('<svg></svg><template><base href="a"></template><base href="b"><base href>')
    expect(result.baseHrefs).toEqual(['b', ''])
    expect(result.baseHref).toBe('b')
  })
})

type Parse5Node = DefaultTreeAdapterTypes.Node

/** The value spans of every a/area href that parse5 (a WHATWG-conformant parser) creates. */
function parse5HrefSpans(html: string): string[] {
  const spans: string[] = []
  const pending: Parse5Node[] = [
    parse(html, { scriptingEnabled: false, sourceCodeLocationInfo: true }),
  ]

  for (let node = pending.pop(); node !== undefined; node = pending.pop()) {
    if ('tagName' in node && (node.tagName === 'a' || node.tagName === 'area')) {
      const location = node.sourceCodeLocation?.attrs?.['href']
      const span = location && valueSpan(html, location.startOffset, location.endOffset)
      if (span) spans.push(span)
    }
    if ('childNodes' in node) pending.push(...node.childNodes)
    if ('content' in node) pending.push(node.content)
  }

  // The adoption agency algorithm clones an <a> (§13.2.6.4.7): one source span, several elements.
  return [...new Set(spans)].sort()
}

/** parse5 locates the whole `name="value"`; narrow that to the value. */
function valueSpan(html: string, start: number, end: number): string | null {
  const attribute = html.slice(start, end)
  const equals = attribute.indexOf('=')
  if (equals < 0) return null

  let valueStart = start + equals + 1
  while (/[\t\n\f\r ]/.test(html.charAt(valueStart))) valueStart++
  const quoted = html[valueStart] === '"' || html[valueStart] === "'"
  return quoted ? `${valueStart + 1}-${end - 1}` : `${valueStart}-${end}`
}

function scannerHrefSpans(html: string): string[] {
  return (
    scan(html)
      .links.filter((link) => link.source === 'a' || link.source === 'area')
      // `href=>` has an empty value, but parse5's location for it stops before the `=`,
      // so valueSpan cannot see that value: leave those out of the comparison.
      .filter((link) => !(link.quote === 'none' && link.start === link.end))
      .map((link) => `${link.start}-${link.end}`)
      .sort()
  )
}

describe('scanHtml agrees with parse5 on a and area hrefs', () => {
  const documents = [
    `<!DOCTYPE html><html><head><title>Invoice <a href="https://no.example/"></title>
<style>.b{background:url("https://css.example/x.png")}</style></head>
<body><table><tr><td><a href="https://a.example/1?x=1&amp;y=2" class=btn>Pay</a></td>
<td><A HREF='https://a.example/2'>2</A><a href=https://a.example/3>3</a></td></tr></table>
<map name=m><area shape=rect coords="0,0,1,1" href="https://a.example/map"></map>
<noscript><a href="https://a.example/ns">ns</a></noscript>
<script>var s = '<a href="https://no.example/js">';</script>
<textarea><a href="https://no.example/ta"></textarea><p title="<a href='https://no.example/attr'>">x</p>
<!--[if !mso]><!-- --><a href="https://a.example/revealed">r</a><!--<![endif]-->
</body></html>`,
    `<a href="https://a.example/first" href="https://a.example/second">d</a><a href>v</a>
<a data-href="https://no.example/" href = 'https://a.example/spaced'>s</a><a/href="https://a.example/slash">`,
    `<svg viewBox="0 0 1 1"><a href="https://a.example/svg-a"><text>t</text></a><style>.x{}</style>
<title>t</title><foreignObject><a href="https://a.example/fo">f</a></foreignObject></svg>
<math><mi><a href="https://a.example/mi">m</a></mi></math><p><a href="https://a.example/after">a</a>`,
    `<script><!--<script></script><a href="https://no.example/">--></script>
<a href="https://a.example/after-script">x</a><![CDATA[ <a href="https://a.example/cdata-html"> ]]>
</b x=">"><a href="https://a.example/after-endtag">y</a>`,
  ]

  it.each(documents.map((doc, i) => [i, doc]))('document %i', (_i, doc) => {
    expect(scannerHrefSpans(doc)).toEqual(parse5HrefSpans(doc))
  })

  /**
   * Random documents built from tricky fragments. `<select>` and `<frameset>`
   * are left out on purpose: parse5 drops `<a>` elements there (legacy select
   * parsing, frameset mode), which is harmless over-reporting by the scanner.
   */
  it('on 5,000 generated documents', () => {
    const fragments = [
      '<a href="L">',
      "<a href='L'>",
      '<a href=L>',
      '<area href="L">',
      '</a>',
      '<a href',
      '<a/>',
      'x',
      ' ',
      '>',
      '<',
      '"',
      "'",
      '=',
      '-',
      '--',
      '-->',
      '--!>',
      '<!--',
      '<!-->',
      '<!',
      '<?x>',
      '</',
      '</x a=">">',
      '</x a="',
      '<b title="',
      '<![CDATA[',
      ']]>',
      '<!DOCTYPE html>',
      '<script>',
      '</script>',
      '<!--<script>',
      '<style>',
      '</style>',
      '<title>',
      '</title>',
      '<textarea>',
      '</textarea>',
      '<xmp>',
      '</xmp>',
      '<noscript>',
      '</noscript>',
      '<svg>',
      '</svg>',
      '<math>',
      '</math>',
      '<foreignObject>',
      '</foreignObject>',
      '<desc>',
      '<mi>',
      '</mi>',
      '<mglyph>',
      '<annotation-xml encoding="text/html">',
      '</annotation-xml>',
      '<p>',
      '</p>',
      '<div>',
      '</div>',
      '<font color=red>',
      '<table>',
      '<td>',
      '<g/>',
      '<svg/>',
      '<span>',
    ]
    // mulberry32: 32-bit integer arithmetic throughout (Math.imul), so every
    // seed gives a full-period stream; a float LCG here lost most of its states.
    let seed = 20240601
    const next = (n: number): number => {
      seed = (seed + 0x6d2b79f5) | 0
      let t = Math.imul(seed ^ (seed >>> 15), seed | 1)
      t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
      return ((((t ^ (t >>> 14)) >>> 0) / 4294967296) * n) | 0
    }

    for (let doc = 0; doc < 5000; doc++) {
      let html = ''
      let id = 0
      const length = 1 + next(24)
      for (let i = 0; i < length; i++) {
        html += (fragments[next(fragments.length)] ?? '').replace(/L/g, () => `u${id++}`)
      }
      expect(scannerHrefSpans(html), html).toEqual(parse5HrefSpans(html))
    }
  })
})

describe('scanHtml: conditional comments stay linear', () => {
  it('does not search the rest of the document afresh for each unclosed block', () => {
    const block = '<!--[if mso]>x-->'
    const src = block.repeat(60_000) + '<a href="https://after.example/">'
    expect(raws(src)).toEqual(['https://after.example/'])

    // What the scan asks for each block: the next <![endif]--> after it. There is none,
    // and one search must answer all 60,000 (it answered each afresh, quadratically).
    const finder = new EndifFinder(src)
    for (let at = block.length; at <= src.length; at += block.length) finder.next(at)
    expect(finder.searches).toBe(1)
  })

  it('reads a long blank run after <!--[if mso]><! as a downlevel-revealed opener', () => {
    const src = `<!--[if mso]><!${' '.repeat(100_000)}x--><a href="https://after.example/">`
    expect(raws(src)).toEqual(['https://after.example/'])
  })

  it('still finds the block end shared by several unclosed blocks', () => {
    const src =
      '<!--[if mso]><v:rect href="https://m.example/1"/><!-- a -->' +
      '<!--[if mso]><v:rect href="https://m.example/2"/><!-- b --><![endif]-->' +
      '<!--[if mso]><v:rect href="https://m.example/3"/><!-- c --><![endif]-->'
    expect(raws(src)).toEqual(['https://m.example/1', 'https://m.example/2', 'https://m.example/3'])
  })
})

describe('Outlook conditional blocks nested in one another', () => {
  it('finds the links of the inner block, whatever the depth', () => {
    const inner = '<a href="https://cb.example/">x</a><v:rect href="https://cb.example/v"/>'
    for (const depth of [2, 3, 50_000]) {
      const src = '<!--[if mso]>'.repeat(depth) + inner + '<![endif]-->'.repeat(depth)
      expect(raws(src), `depth ${depth}`).toEqual(['https://cb.example/', 'https://cb.example/v'])
    }
  })

  it('finds them after a downlevel-revealed opener inside a block', () => {
    const src =
      '<!--[if mso]><!--[if gte mso 9]><v:rect href="https://n.example/1"/><![endif]-->' +
      '<![endif]--><a href="https://n.example/2">y</a>'
    expect(raws(src)).toEqual(['https://n.example/1', 'https://n.example/2'])
  })
})

describe('Outlook conditional blocks holding a plain comment', () => {
  it('finds the VML button after an inner comment, once', () => {
    const src =
      '<!--[if mso]><v:roundrect href="https://evil.example/pay">x</v:roundrect>\n' +
      '<!-- end button -->\n<v:rect href="https://evil.example/two"/>\n<![endif]--><a href="https://ok.example/">y</a>'

    const links = scanHtml(src).links

    expect(links.map((l) => l.raw)).toEqual([
      'https://evil.example/pay',
      'https://evil.example/two',
      'https://ok.example/',
    ])
    expect(links.map((l) => l.source)).toEqual(['vml', 'vml', 'a'])
  })
})
