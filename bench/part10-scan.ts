/**
 * Bench of the streaming Part 10 scanner (src/dicom/part10/scan.ts), with dcmjs whole-buffer
 * reads for comparison. Run: node --import tsx bench/part10-scan.ts [--gb=1]
 *
 * Prints throughput (MB/s) and peak RSS growth; RSS is sampled while the source is pulled.
 */
import dcmjs from 'dcmjs';
import { performance } from 'node:perf_hooks';
import { scanPart10 } from '../src/dicom/part10/scan.js';
import {
  concat,
  explicitElement,
  nativeImageHeader,
  part10,
  syntheticNativeInstance,
  text,
} from '../src/dicom/testing/build-part10.js';
import { chunked, readSample } from '../src/dicom/testing/samples.js';

const MB = 1024 * 1024;
dcmjs.log.setLevel('silent');
dcmjs.log.getLogger('validation.dcmjs').setLevel('silent');
const gigabytes = Number(/--gb=([\d.]+)/.exec(process.argv.join(' '))?.[1] ?? 1);

interface Measure {
  seconds: number;
  peakRssGrowthMb: number;
}

/** Runs `work` with a source wrapper that samples RSS at each chunk. */
async function measure(
  work: (tap: <T>(source: AsyncIterable<T>) => AsyncIterable<T>) => unknown,
): Promise<Measure> {
  const before = process.memoryUsage.rss();
  let peak = before;
  const tap = async function* <T>(source: AsyncIterable<T>): AsyncIterable<T> {
    for await (const chunk of source) {
      peak = Math.max(peak, process.memoryUsage.rss());
      yield chunk;
    }
  };
  const start = performance.now();
  await work(tap);
  const seconds = (performance.now() - start) / 1000;
  peak = Math.max(peak, process.memoryUsage.rss());
  return { seconds, peakRssGrowthMb: (peak - before) / MB };
}

function report(label: string, bytes: number, { seconds, peakRssGrowthMb }: Measure): void {
  const rate = bytes / MB / seconds;
  console.log(
    `${label.padEnd(48)} ${(bytes / MB).toFixed(1).padStart(8)} MB  ${(seconds * 1000).toFixed(1).padStart(9)} ms  ${rate.toFixed(0).padStart(7)} MB/s  peak RSS +${peakRssGrowthMb.toFixed(1)} MB`,
  );
}

function dcmjsRead(bytes: Uint8Array): void {
  const copy = bytes.buffer.slice(
    bytes.byteOffset,
    bytes.byteOffset + bytes.byteLength,
  ) as ArrayBuffer;
  dcmjs.data.DicomMessage.readFile(copy, { ignoreErrors: true });
}

/** A header of `count` small elements (private LO values), for per-element cost. */
function wideHeader(count: number): Uint8Array {
  const elements: Uint8Array[] = [explicitElement('00090010', 'LO', text('BENCH'))];
  for (let i = 0; i < count; i++) {
    const group = (0x0011 + 2 * Math.floor(i / 0xff00)).toString(16).padStart(4, '0');
    const element = (0x0100 + (i % 0xff00)).toString(16).padStart(4, '0');
    elements.push(explicitElement(`${group}${element}`.toUpperCase(), 'LO', text(`value ${i}`)));
  }
  return part10(elements);
}

async function main(): Promise<void> {
  globalThis.gc?.();
  console.log(`node ${process.version}, ${process.platform}/${process.arch}`);

  const sample = readSample('big-MR_siemens_mosaic_1.7MB.dcm');
  await scanPart10(chunked(sample, [64 * 1024])); // warm-up
  const runs = 50;
  report(
    `scanPart10 1.7 MB sample x${runs} (64 KiB chunks)`,
    sample.length * runs,
    await measure(async (tap) => {
      for (let i = 0; i < runs; i++) await scanPart10(tap(chunked(sample, [64 * 1024])));
    }),
  );

  const wide = wideHeader(10_000);
  report(
    'scanPart10 header of 10,000 elements x20 (64 KiB)',
    wide.length * 20,
    await measure(async (tap) => {
      for (let i = 0; i < 20; i++) await scanPart10(tap(chunked(wide, [64 * 1024])));
    }),
  );

  const pixelBytes = gigabytes * 1024 * MB;
  globalThis.gc?.();
  let size = 0;
  const big = await measure(async (tap) => {
    size = (await scanPart10(tap(syntheticNativeInstance(pixelBytes)))).size;
  });
  report(`scanPart10 generated ${gigabytes} GB native (1 MiB chunks)`, size, big);

  // The same with a fresh, written buffer per chunk, as a socket or file stream hands over.
  globalThis.gc?.();
  const fresh = await measure(async (tap) => {
    const source = (async function* () {
      let header = true;
      for await (const chunk of syntheticNativeInstance(pixelBytes)) {
        yield header ? chunk : new Uint8Array(chunk.length).fill(0x5a);
        header = false;
      }
    })();
    size = (await scanPart10(tap(source))).size;
  });
  report(`scanPart10 generated ${gigabytes} GB, fresh chunks`, size, fresh);

  dcmjsRead(sample); // warm-up
  report(
    `dcmjs readFile 1.7 MB sample x${runs}`,
    sample.length * runs,
    await measure(() => {
      for (let i = 0; i < runs; i++) dcmjsRead(sample);
    }),
  );

  const header = nativeImageHeader(1024, 1024, 100); // 200 MiB of pixel data
  const whole = concat([header, new Uint8Array(200 * MB)]);
  globalThis.gc?.();
  try {
    report(
      'dcmjs readFile generated 200 MB buffer',
      whole.length,
      await measure(() => dcmjsRead(whole)),
    );
  } catch (error) {
    console.log(`dcmjs readFile generated 200 MB buffer: failed (${(error as Error).message})`);
  }
}

await main();
