/**
 * Tells an executable or an archive from a page, by what the server says
 * (Content-Type, Content-Disposition), by the file name, and by the first
 * bytes, since phishing servers often label a payload `application/octet-stream`
 * or `text/plain`.
 */

import type { Download } from './types.js'

/** Enough of the body to read every signature below. */
export const SNIFF_BYTES = 512

const EXECUTABLE_EXTENSIONS = new Set(
  (
    'exe msi msix msixbundle appx appxbundle scr com pif cpl dll bat cmd ps1 psm1 vbs vbe js jse ' +
    'wsf wsh hta lnk jar apk dmg pkg app sh elf run reg msp application gadget'
  ).split(' '),
)

/** Archives and disk images; images (ISO, IMG, VHD) are how payloads dodge Mark-of-the-Web. */
const ARCHIVE_EXTENSIONS = new Set(
  'zip rar 7z tar gz tgz bz2 xz zst cab arj lz lzh ace iso img vhd vhdx'.split(' '),
)

/** Office documents are zip files inside; they are not archives to the reader. */
const OFFICE_EXTENSIONS = new Set('docx xlsx pptx docm xlsm pptm odt ods odp'.split(' '))

const EXECUTABLE_TYPES = new Set([
  'application/x-msdownload',
  'application/x-msdos-program',
  'application/x-dosexec',
  'application/x-executable',
  'application/vnd.microsoft.portable-executable',
  'application/x-msi',
  'application/x-ms-installer',
  'application/x-ms-shortcut',
  'application/java-archive',
  'application/vnd.android.package-archive',
  'application/x-apple-diskimage',
  'application/hta',
  'application/x-sh',
])

const ARCHIVE_TYPES = new Set([
  'application/zip',
  'application/x-zip-compressed',
  'application/vnd.rar',
  'application/x-rar-compressed',
  'application/x-7z-compressed',
  'application/x-tar',
  'application/gzip',
  'application/x-gzip',
  'application/x-bzip2',
  'application/x-xz',
  'application/vnd.ms-cab-compressed',
  'application/x-iso9660-image',
])

const SIGNATURES: { kind: Download['kind']; bytes: number[]; name: string }[] = [
  { kind: 'executable', bytes: [0x4d, 0x5a], name: 'a Windows program (MZ header)' },
  { kind: 'executable', bytes: [0x7f, 0x45, 0x4c, 0x46], name: 'a Linux program (ELF header)' },
  { kind: 'executable', bytes: [0xcf, 0xfa, 0xed, 0xfe], name: 'a macOS program (Mach-O)' },
  { kind: 'executable', bytes: [0xca, 0xfe, 0xba, 0xbe], name: 'a macOS or Java program' },
  { kind: 'archive', bytes: [0x50, 0x4b, 0x03, 0x04], name: 'a zip archive' },
  { kind: 'archive', bytes: [0x52, 0x61, 0x72, 0x21, 0x1a, 0x07], name: 'a RAR archive' },
  { kind: 'archive', bytes: [0x37, 0x7a, 0xbc, 0xaf, 0x27, 0x1c], name: 'a 7-Zip archive' },
  { kind: 'archive', bytes: [0x1f, 0x8b], name: 'a gzip archive' },
]

export interface DownloadInput {
  url: string
  /** Media type without parameters, lower-case, or null. */
  mediaType: string | null
  disposition: string | null
  head: Uint8Array
}

/** The download the response carries, or null for a page or an ordinary document. */
export function detectDownload(input: DownloadInput): Download | null {
  const name = dispositionName(input.disposition) ?? pathName(input.url)
  const extension = name ? extensionOf(name) : null
  if (extension && OFFICE_EXTENSIONS.has(extension)) return null

  const signature = SIGNATURES.find((s) => startsWith(input.head, s.bytes))
  if (signature) return { kind: signature.kind, name, why: `its first bytes are ${signature.name}` }

  if (input.mediaType && EXECUTABLE_TYPES.has(input.mediaType)) {
    return { kind: 'executable', name, why: `it is served as ${input.mediaType}` }
  }
  if (input.mediaType && ARCHIVE_TYPES.has(input.mediaType)) {
    return { kind: 'archive', name, why: `it is served as ${input.mediaType}` }
  }
  if (extension && EXECUTABLE_EXTENSIONS.has(extension)) {
    return { kind: 'executable', name, why: `its file name ends in .${extension}` }
  }
  if (extension && ARCHIVE_EXTENSIONS.has(extension)) {
    return { kind: 'archive', name, why: `its file name ends in .${extension}` }
  }
  return null
}

/** `attachment; filename="a.exe"` or RFC 6266 `filename*=UTF-8''a.exe`. */
function dispositionName(disposition: string | null): string | null {
  if (!disposition) return null
  const extended = /filename\*\s*=\s*[^']*'[^']*'([^;]+)/i.exec(disposition)?.[1]
  if (extended) return safeDecode(extended.trim())
  const plain = /filename\s*=\s*("([^"]*)"|[^;]+)/i.exec(disposition)
  return (plain?.[2] ?? plain?.[1])?.trim() || null
}

function pathName(url: string): string | null {
  try {
    const last = new URL(url).pathname.split('/').pop()
    return last ? safeDecode(last) : null
  } catch {
    // Not a URL: no name to take from it.
    return null
  }
}

function extensionOf(name: string): string | null {
  const match = /\.([a-z0-9]{1,12})$/i.exec(name.trim())
  return match?.[1] ? match[1].toLowerCase() : null
}

function startsWith(head: Uint8Array, bytes: number[]): boolean {
  return head.length >= bytes.length && bytes.every((byte, index) => head[index] === byte)
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text)
  } catch {
    // Broken escapes stay as written; the extension is still readable.
    return text
  }
}
