/**
 * Streaming Part 10 scan (PS3.10 §7): one pass over the bytes of an instance gives its file
 * meta and dataset as DICOM JSON, the offsets of every bulk value and the pixel data layout.
 * Memory is bounded by the header: bulk values are skipped chunk by chunk, never buffered.
 */
import { defaultCharsetDecoder } from '../charset.js';
import { DicomParseError, NotPart10Error, UnsupportedTransferSyntaxError } from '../errors.js';
import { defaultBulkDataUri, DEFAULT_BULK_DATA_LIMITS } from '../json/bulk-data.js';
import { getString, type DicomJsonDataset } from '../json/dicom-json.js';
import { TransferSyntaxUidTag } from '../tag.js';
import {
  assumedTransferSyntax,
  findTransferSyntax,
  type TransferSyntaxInfo,
} from '../transfer-syntax.js';
import { ByteReader } from './byte-reader.js';
import { inflateChunks } from './inflate.js';
import { DatasetParser, type ParserOptions, type Scope } from './dataset-parser.js';
import { EXPLICIT_LE, looksLikeVr, type Syntax } from './tokenizer.js';
import { Warnings, type BulkDataRef, type PixelDataLayout } from './layout.js';

export type { BulkDataRef, PixelDataLayout } from './layout.js';

export interface ScanOptions {
  /** Binary values (OB OD OF OL OV OW UN, and numeric VRs with huge VMs) longer than this become bulk data. Default 1024. */
  inlineBinaryLimit?: number;
  /** Text values longer than this become bulk data. Default 65536. */
  inlineTextLimit?: number;
  /** Cap on bytes kept in memory for non-bulk values; beyond → HeaderTooLargeError. Default 64 MiB. */
  maxHeaderBytes?: number;
  /** Builds the BulkDataURI written into the JSON for a bulk element at `path`. Default: (path) => `bulkdata/${path}`. */
  bulkDataUri?: (path: string) => string;
}

export interface ScanResult {
  /** Group 0002 as DICOM JSON. */
  meta: DicomJsonDataset;
  transferSyntaxUid: string;
  /** Everything but group 0002, PS3.18 Annex F. */
  dataset: DicomJsonDataset;
  /** Every element that became a BulkDataURI (pixel data included). */
  bulk: BulkDataRef[];
  /** Top-level pixel data (7FE00010, float 7FE00008, double float 7FE00009). */
  pixelData?: PixelDataLayout;
  /** File offset where the dataset (after meta) starts. */
  datasetOffset: number;
  /**
   * When true, bulk and pixel offsets are datasetOffset + the position in the INFLATED
   * dataset (subtract datasetOffset to index the inflated bytes).
   */
  deflated: boolean;
  /** Total bytes read. */
  size: number;
  /** E.g. unknown charset, odd lengths tolerated. Never values. */
  warnings: string[];
}

export const DEFAULT_MAX_HEADER_BYTES = 64 * 1024 * 1024;

/** PS3.10 §7.1: 128-byte preamble, then 'DICM'. */
const PREAMBLE_LENGTH = 128;
const DICM = [0x44, 0x49, 0x43, 0x4d];

function resolveOptions(options: ScanOptions): ParserOptions {
  return {
    inlineBinaryLimit: options.inlineBinaryLimit ?? DEFAULT_BULK_DATA_LIMITS.inlineBinaryLimit,
    inlineTextLimit: options.inlineTextLimit ?? DEFAULT_BULK_DATA_LIMITS.inlineTextLimit,
    maxHeaderBytes: options.maxHeaderBytes ?? DEFAULT_MAX_HEADER_BYTES,
    bulkDataUri: options.bulkDataUri ?? defaultBulkDataUri,
  };
}

function topScope(syntax: Syntax): Scope {
  return {
    syntax,
    end: undefined,
    limit: undefined,
    delimited: false,
    prefix: '',
    charset: defaultCharsetDecoder,
    pixelRepresentation: undefined,
    depth: 0,
  };
}

async function readPreamble(reader: ByteReader): Promise<void> {
  if (!(await reader.ensure(PREAMBLE_LENGTH + 4))) throw new NotPart10Error();
  await reader.skip(PREAMBLE_LENGTH);
  for (const byte of DICM) if (reader.uint8() !== byte) throw new NotPart10Error();
}

function transferSyntaxOf(
  meta: DicomJsonDataset,
  at: number,
  warnings: Warnings,
): TransferSyntaxInfo {
  const uid = getString(meta, TransferSyntaxUidTag);
  if (!uid)
    throw new DicomParseError(
      `no Transfer Syntax UID (00020010) in the file meta at byte ${at}`,
      at,
    );
  const known = findTransferSyntax(uid);
  if (known) return known;
  warnings.add('unknown transfer syntax, dataset read as Explicit VR Little Endian');
  return assumedTransferSyntax(uid);
}

/** PS3.5 §A.4: an unknown syntax is read as Explicit VR LE only if the first VR looks like one. */
async function assertLooksExplicit(reader: ByteReader, uid: string): Promise<void> {
  if (!(await reader.ensure(6))) return;
  if (!looksLikeVr(reader.peekUint8(4), reader.peekUint8(5))) {
    throw new UnsupportedTransferSyntaxError(
      `unknown transfer syntax whose dataset is not Explicit VR Little Endian (${uid.length}-character UID)`,
    );
  }
}

/**
 * PS3.5 §A.5: the dataset is raw deflate. Some writers emit a zlib stream instead (header
 * with a valid FCHECK); accept it with a warning.
 */
async function inflatedReader(
  reader: ByteReader,
  datasetOffset: number,
  warnings: Warnings,
): Promise<ByteReader> {
  let zlibWrapped = false;
  if (await reader.ensure(2)) {
    const cmf = reader.peekUint8(0);
    const flg = reader.peekUint8(1);
    zlibWrapped = (cmf & 0x0f) === 8 && cmf >> 4 <= 7 && ((cmf << 8) | flg) % 31 === 0;
  }
  if (zlibWrapped)
    warnings.add('deflated dataset has a zlib header; PS3.5 A.5 requires raw deflate');
  const inflated = inflateChunks(reader.rest(), zlibWrapped);
  const chunks = (async function* (): AsyncGenerator<Uint8Array> {
    try {
      yield* inflated;
    } catch (error) {
      if (error instanceof DicomParseError) throw error;
      throw new DicomParseError(
        `invalid deflated dataset after byte ${datasetOffset}`,
        datasetOffset,
        { cause: error },
      );
    }
  })();
  return new ByteReader(chunks, datasetOffset);
}

/**
 * Scans a whole Part 10 instance from `source`, consuming it to the end.
 *
 * @throws NotPart10Error when there is no 'DICM' at byte 128.
 * @throws DicomParseError when the stream ends mid-element or the structure is inconsistent.
 * @throws HeaderTooLargeError when non-bulk values exceed `maxHeaderBytes`.
 * @throws UnsupportedTransferSyntaxError for an unknown syntax that is not Explicit VR LE.
 */
export async function scanPart10(
  source: AsyncIterable<Uint8Array>,
  options: ScanOptions = {},
): Promise<ScanResult> {
  const warnings = new Warnings();
  const reader = new ByteReader(source);
  await readPreamble(reader);
  const parser = new DatasetParser(reader, resolveOptions(options), warnings);
  const meta = await parser.readDataset({ ...topScope(EXPLICIT_LE), onlyGroup: 0x0002 });
  const datasetOffset = reader.position;
  const syntax = transferSyntaxOf(meta, datasetOffset, warnings);
  if (!findTransferSyntax(syntax.uid)) await assertLooksExplicit(reader, syntax.uid);

  let dataset: DicomJsonDataset;
  if (syntax.deflated) {
    parser.reader = await inflatedReader(reader, datasetOffset, warnings);
    dataset = await parser.readDataset(topScope(syntax));
    await reader.skip(Number.POSITIVE_INFINITY);
  } else {
    dataset = await parser.readDataset(topScope(syntax));
  }

  let pixelData = parser.pixelData;
  if (pixelData?.kind === 'encapsulated') {
    const extendedOffsetTable = parser.extendedOffsetTable;
    if (extendedOffsetTable) pixelData = { ...pixelData, extendedOffsetTable };
  } else if (pixelData && syntax.encapsulated && findTransferSyntax(syntax.uid)) {
    warnings.add('native pixel data in an encapsulated transfer syntax');
  }
  const result: ScanResult = {
    meta,
    transferSyntaxUid: syntax.uid,
    dataset,
    bulk: parser.bulk,
    datasetOffset,
    deflated: syntax.deflated,
    size: reader.position,
    warnings: warnings.list,
  };
  if (pixelData) result.pixelData = pixelData;
  return result;
}
