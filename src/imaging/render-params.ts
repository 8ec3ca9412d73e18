/**
 * Rendering query parameters of PS3.18 §8.3.5.1 (Table 8.3.5-1): `window`, `viewport`,
 * `quality`. `annotation`, `iccprofile` and `charset` are accepted and ignored (no burned-in
 * annotation, no ICC profile embedded). Malformed values are a RenderParameterError (400).
 */
import { RenderParameterError } from './errors.js';
import type { VoiWindow, WindowFunction } from './voi-lut.js';

export interface Viewport {
  /** Output bounds: the rendered region is scaled to fit inside vw × vh (aspect kept). */
  width: number;
  height: number;
  /** Source region (PS3.18 §8.3.5.1.3), in pixels of the frame; the whole frame when absent. */
  region?: { x: number; y: number; width: number; height: number };
}

export interface RenderParams {
  window?: VoiWindow;
  viewport?: Viewport;
  /** 1…100 (PS3.18 §8.3.5.1.2), for lossy media types. */
  quality?: number;
}

const FUNCTIONS: Record<string, WindowFunction> = {
  linear: 'LINEAR',
  'linear-exact': 'LINEAR_EXACT',
  sigmoid: 'SIGMOID',
};

/** Largest output side we agree to produce (bounded memory: 4096² RGB is 48 MiB raw). */
export const MAX_OUTPUT_SIDE = 4096;

function numbers(text: string, name: string): number[] {
  return text.split(',').map((part) => {
    const n = part.trim() === '' ? NaN : Number(part);
    if (!Number.isFinite(n)) throw new RenderParameterError(`${name}: "${part}" is not a number`);
    return n;
  });
}

/** PS3.18 §8.3.5.1.4: `window=center,width,function` (function linear, linear-exact, sigmoid). */
export function parseWindow(text: string): VoiWindow {
  const parts = text.split(',');
  if (parts.length !== 3)
    throw new RenderParameterError('window must be center,width,function (e.g. 40,400,linear)');
  const [center, width] = numbers(parts.slice(0, 2).join(','), 'window') as [number, number];
  const fn = FUNCTIONS[(parts[2] ?? '').trim().toLowerCase()];
  if (!fn)
    throw new RenderParameterError('window function must be linear, linear-exact or sigmoid');
  // PS3.3 C.11.2.1.2: LINEAR needs width ≥ 1, LINEAR_EXACT and SIGMOID width > 0.
  if (fn === 'LINEAR' ? width < 1 : width <= 0)
    throw new RenderParameterError(
      fn === 'LINEAR' ? 'window width must be at least 1' : 'window width must be above 0',
    );
  return { center, width, function: fn };
}

/** PS3.18 §8.3.5.1.3: `viewport=vw,vh` or `vw,vh,sx,sy,sw,sh`. Negative sw/sh (flips) are refused. */
export function parseViewport(text: string): Viewport {
  const n = numbers(text, 'viewport');
  if (n.length !== 2 && n.length !== 6)
    throw new RenderParameterError('viewport must be vw,vh or vw,vh,sx,sy,sw,sh');
  if (!n.every(Number.isInteger))
    throw new RenderParameterError('viewport values must be integers');
  const [width, height, x, y, sw, sh] = n as [number, number, number?, number?, number?, number?];
  if (width < 1 || height < 1 || width > MAX_OUTPUT_SIDE || height > MAX_OUTPUT_SIDE)
    throw new RenderParameterError(`viewport width and height must be 1…${MAX_OUTPUT_SIDE}`);
  if (x === undefined || y === undefined || sw === undefined || sh === undefined)
    return { width, height };
  if (x < 0 || y < 0 || sw < 1 || sh < 1)
    throw new RenderParameterError('viewport region must have sx,sy ≥ 0 and sw,sh ≥ 1');
  return { width, height, region: { x, y, width: sw, height: sh } };
}

/** PS3.18 §8.3.5.1.2: `quality` is an integer 1…100. */
export function parseQuality(text: string): number {
  const q = Number(text);
  if (!Number.isInteger(q) || q < 1 || q > 100)
    throw new RenderParameterError('quality must be an integer from 1 to 100');
  return q;
}

/** The rendering parameters of a query string; absent parameters stay undefined. */
export function parseRenderParams(query: (name: string) => string | undefined): RenderParams {
  const params: RenderParams = {};
  const window = query('window');
  const viewport = query('viewport');
  const quality = query('quality');
  if (window !== undefined) params.window = parseWindow(window);
  if (viewport !== undefined) params.viewport = parseViewport(viewport);
  if (quality !== undefined) params.quality = parseQuality(quality);
  return params;
}
