import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { generate } from 'otplib';
import { chromium, type Browser, type Page } from 'playwright-core';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { samplePath } from '../src/dicom/testing/samples.js';
import { CodeFlowIdp } from './helpers/code-flow-idp.js';
import { CHROMIUM_PATH } from './helpers/ohif.js';
import { sample, samplesAvailable } from './helpers/samples.js';
import { startTestServer, testDb, type TestServer } from './helpers/server.js';

/**
 * #14: the web console in a real browser (Debian's Chromium, headless), against the real server
 * with built-in accounts: an admin signs in with password and one-time code, uploads a sample
 * through the file input, finds it in the study list, opens it, sees the rendered pixels in the
 * stack viewer (compared with /rendered fetched directly), reads its tags, deletes it and it is
 * gone; a reader sees neither delete buttons nor the admin menu. The browser is what matters
 * here, not the database: PGlite only. STRATA_CONSOLE_SCREENSHOT=<dir> keeps pictures.
 */
const ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-quic',
  '--no-first-run',
  '--disable-component-update',
  '--disable-sync',
];
const PASSWORD = 'console-test-password-1';
const CT = 'ts-explicit-le_CT_small.dcm';
const MR = 'ts-implicit-le_MR_small.dcm';
const MF = 'mf-enhanced-MR_10frames.dcm';

function whySkipped(): string | undefined {
  if (testDb !== 'pglite') return 'PGlite only';
  if (!existsSync(CHROMIUM_PATH)) return `${CHROMIUM_PATH} is absent (apt-get install chromium)`;
  if (!samplesAvailable) return 'the DICOM samples are absent (STRATA_DICOM_SAMPLES)';
  return undefined;
}
const skipped = whySkipped();
if (skipped && testDb === 'pglite')
  console.warn(`\n[strata] the console test is skipped: ${skipped}\n`);

let browser: Browser;
let server: TestServer;
let adminTotp: string;

beforeAll(async () => {
  if (skipped) return;
  server = await startTestServer({ AUTH_METHODS: 'account' });
  const accounts = server.security.accounts!;
  const { totp } = await accounts.add({
    username: 'ops',
    password: PASSWORD,
    roles: ['admin'],
    totpRequired: true,
  });
  adminTotp = totp!.secret;
  await accounts.add({ username: 'viewer', password: PASSWORD, roles: ['reader'] });
  await accounts.add({ username: 'writer', password: PASSWORD, roles: ['writer'] });
  browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: ARGS });
}, 60_000);
afterAll(async () => {
  await browser?.close();
  await server?.close();
});

/** A fresh page that fails the test on any script error. */
async function openPage(): Promise<{ page: Page; errors: string[] }> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('console', (m) => {
    if (m.type() === 'error' && !/status of 404/.test(m.text())) errors.push(m.text());
  });
  await page.goto(`${server.url}/`);
  return { page, errors };
}

async function signIn(page: Page, username: string, totpSecret?: string): Promise<void> {
  const form = page.getByRole('form', { name: 'Sign in with an account' });
  await form.getByLabel('User name').fill(username);
  await form.getByLabel('Password').fill(PASSWORD);
  if (totpSecret)
    await form.getByLabel('One-time code').fill(await generate({ secret: totpSecret }));
  await form.getByRole('button', { name: 'Sign in' }).click();
  await page.locator('header.top').waitFor();
}

async function shot(page: Page, name: string): Promise<void> {
  const dir = process.env['STRATA_CONSOLE_SCREENSHOT'];
  if (dir) await page.screenshot({ path: `${dir}/console-${name}.png`, fullPage: true });
}

/** RGBA pixels of the viewer's image at its natural size, as the browser decoded it. */
async function viewerPixels(
  page: Page,
): Promise<{ width: number; height: number; data: number[] }> {
  return page.locator('img.stack').evaluate(async (img: any) => {
    await img.decode();
    const canvas = (globalThis as any).document.createElement('canvas');
    canvas.width = img.naturalWidth;
    canvas.height = img.naturalHeight;
    const g = canvas.getContext('2d')!;
    g.drawImage(img, 0, 0);
    const data = g.getImageData(0, 0, canvas.width, canvas.height).data;
    return { width: canvas.width, height: canvas.height, data: [...data] };
  });
}

/** The rendered PNG as RGBA, fetched directly with the page's own token. */
async function renderedPixels(url: string, token: string) {
  const response = await fetch(url, {
    headers: { Accept: 'image/png', Authorization: `Bearer ${token}` },
  });
  expect(response.status).toBe(200);
  const { data, info } = await sharp(Buffer.from(await response.arrayBuffer()))
    .ensureAlpha()
    .raw()
    .toBuffer({ resolveWithObject: true });
  return { width: info.width, height: info.height, data: [...data] };
}

function maxDifference(a: number[], b: number[]): number {
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs(a[i]! - b[i]!));
  return max;
}

function distinctValues(data: number[]): number {
  return new Set(data.filter((_, i) => i % 4 === 0)).size;
}

describe.skipIf(skipped !== undefined)('#14: the web console in Chromium', () => {
  it('an admin signs in with a one-time code, uploads, finds, views, reads tags and deletes a study', async () => {
    const ct = sample(CT);
    const { page, errors } = await openPage();
    await signIn(page, 'ops', adminTotp);
    await expect(page.locator('[data-menu="admin"]').count()).resolves.toBe(1);

    // Upload through the file input: the row ends "stored", with a link to the study.
    await page.locator('nav a', { hasText: 'Upload' }).click();
    await page.locator('input[data-input="files"]').setInputFiles(samplePath(CT));
    const row = page.locator(`tr[data-file="${CT}"]`);
    await row.locator('td.result', { hasText: 'stored' }).waitFor();
    await expect(row.getAttribute('class')).resolves.toBe('upload-stored');
    await expect(page.locator('p.summary').textContent()).resolves.toContain(
      '1 stored · 0 with warnings · 0 failed · 0 to go',
    );

    // Find it by patient ID in the study list; its thumbnail is drawn.
    await page.locator('nav a', { hasText: 'Studies' }).click();
    await page.getByLabel('Patient ID').fill(ct.patient_id!);
    await page.getByRole('button', { name: 'Search' }).click();
    const study = page.locator(`tr.study[data-uid="${ct.study_instance}"]`);
    await study.waitFor();
    await expect(page.locator('tr.study').count()).resolves.toBe(1);
    const thumb = study.locator('img.thumb');
    await thumb.waitFor();
    expect(await thumb.evaluate((img: any) => img.naturalWidth)).toBeGreaterThan(0);
    await shot(page, 'list');

    // Open it: the stack viewer shows exactly what /rendered renders.
    await study.click();
    await page.locator('img.stack').waitFor();
    await expect(page.locator('p.meta').textContent()).resolves.toBe(
      '2004-01-19 · CT · e+1 · accession —',
    );
    const token = await page.evaluate(
      () =>
        JSON.parse((globalThis as any).sessionStorage.getItem('strata.session')).token as string,
    );
    const instanceUrl = `${server.base}/studies/${ct.study_instance}/series/${ct.series_instance}/instances/${ct.sop_instance}`;
    const shown = await viewerPixels(page);
    const expected = await renderedPixels(`${instanceUrl}/rendered`, token);
    expect([shown.width, shown.height]).toEqual([expected.width, expected.height]);
    expect(distinctValues(expected.data)).toBeGreaterThan(20); // a real image, not a blank
    expect(maxDifference(shown.data, expected.data)).toBeLessThanOrEqual(1);

    // A screenshot of the viewer, scaled back to the image's size, is the same picture. The
    // image is fitted into the frame (object-fit: contain): the clip is where it is drawn.
    const clip = await page.locator('img.stack').evaluate((img: any) => {
      const box = img.getBoundingClientRect();
      const scale = Math.min(box.width / img.naturalWidth, box.height / img.naturalHeight);
      const width = img.naturalWidth * scale;
      const height = img.naturalHeight * scale;
      const x = box.x + (box.width - width) / 2;
      const y = box.y + (box.height - height) / 2;
      // One pixel in from each edge: the border rows are blended with the letterbox.
      return { x: x + 1, y: y + 1, width: width - 2, height: height - 2, scale };
    });
    expect(clip.scale).toBeGreaterThan(2); // fitted to the frame, not drawn at 128 pixels
    const screenshot = await page.screenshot({ clip });
    const { data: seen } = await sharp(screenshot)
      .resize(expected.width, expected.height, { kernel: 'nearest', fit: 'fill' })
      .ensureAlpha()
      .raw()
      .toBuffer({ resolveWithObject: true });
    let total = 0;
    for (let i = 0; i < seen.length; i++) total += Math.abs(seen[i]! - expected.data[i]!);
    expect(total / seen.length).toBeLessThan(4);
    await shot(page, 'viewer');

    // The lung preset asks for window=-600,1500: a different picture, the server's own.
    await page.locator('[data-preset="CT lung"]').click();
    await page.waitForFunction(
      () =>
        (globalThis as any).document
          .querySelector('.overlay')
          ?.textContent?.includes('W 1500 C -600') ?? false,
    );
    const lung = await renderedPixels(`${instanceUrl}/rendered?window=-600,1500,linear`, token);
    await expect
      .poll(async () => maxDifference((await viewerPixels(page)).data, lung.data), {
        timeout: 10_000,
      })
      .toBeLessThanOrEqual(1);
    expect(maxDifference(lung.data, expected.data)).toBeGreaterThan(10);

    // Tags: named by keyword, with the patient's ID as value.
    await page.locator('details.tags summary').click();
    const patientRow = page.locator('.tag-table tr', { hasText: 'PatientID' }).first();
    await patientRow.waitFor();
    await expect(patientRow.textContent()).resolves.toContain(ct.patient_id!);
    await expect(
      page.locator('.tag-table tr', { hasText: '(0028,0010)' }).first().textContent(),
    ).resolves.toContain('Rows');

    // Download as zip: one Part 10 entry, the stored bytes.
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('button', { name: 'Download zip' }).click(),
    ]);
    const zip = await readFile(await download.path());
    expect(zip.subarray(0, 4).toString('latin1')).toBe('PK\x03\x04');
    expect(zip.indexOf(Buffer.from('DICM'))).toBeGreaterThan(0);
    expect(zip.length).toBeGreaterThan((await readFile(samplePath(CT))).length);

    // Delete, confirmed: back in the list, and the study is gone.
    await page.locator('[data-action="delete-study"]').click();
    await page.locator('dialog.confirm [data-action="confirm"]').click();
    await page.waitForFunction(() => (globalThis as any).location.hash === '#/');
    await page.locator('p.empty', { hasText: 'No study matches' }).waitFor();
    const after = await fetch(`${server.base}/studies?StudyInstanceUID=${ct.study_instance}`, {
      headers: { Authorization: `Bearer ${token}` },
    });
    expect(after.status === 204 || ((await after.json()) as unknown[]).length === 0).toBe(true);

    // Upload by drop: the drop handler takes the files of the DataTransfer. The earlier upload's
    // result is still listed: the upload page lives on while other pages are shown.
    await page.locator('nav a', { hasText: 'Upload' }).click();
    await page.locator(`tr[data-file="${CT}"] td.result`, { hasText: 'stored' }).waitFor();
    const bytes = (await readFile(samplePath(MR))).toString('base64');
    await page.locator('.dropzone').evaluate(
      (zone, [name, base64]) => {
        const data = Uint8Array.from(atob(base64!), (c) => c.charCodeAt(0));
        const transfer = new (globalThis as any).DataTransfer();
        transfer.items.add(
          new (globalThis as any).File([data], name!, { type: 'application/dicom' }),
        );
        zone.dispatchEvent(
          new (globalThis as any).DragEvent('drop', { dataTransfer: transfer, bubbles: true }),
        );
      },
      [MR, bytes],
    );
    await page.locator(`tr[data-file="${MR}"] td.result`, { hasText: 'stored' }).waitFor();

    // Admin pages: tiers, users (one added here), the audit trail with the sign-in.
    await page.locator('[data-menu="admin"]').click();
    await page.locator('table.grid tbody tr').first().waitFor();
    await page.locator('.tabs a', { hasText: 'Users' }).click();
    const userForm = page.getByRole('form', { name: 'New user' });
    await userForm.getByLabel('User name').fill('nurse');
    await userForm.getByLabel('Password').fill(PASSWORD);
    await userForm.getByLabel('reader').check();
    await userForm.getByRole('button', { name: 'Add user' }).click();
    await page.locator('p.secret', { hasText: 'nurse' }).waitFor();
    await page.locator('table.grid td', { hasText: 'nurse' }).waitFor();
    await page.locator('.tabs a', { hasText: 'API keys' }).click();
    await page.locator('p.error', { hasText: 'not configured' }).waitFor(); // AUTH_METHODS has no api-key
    await page.locator('.tabs a', { hasText: 'Audit' }).click();
    await page.locator('table.grid td', { hasText: '110114' }).first().waitFor();
    await shot(page, 'audit');
    expect(errors).toEqual([]);
  }, 120_000);

  it('a reader sees the study but no delete button and no admin menu', async () => {
    const mr = sample(MR);
    const writer = await tokenOf('writer');
    expect((await stowSample(server, MR, writer)).status).toBe(200);

    const { page, errors } = await openPage();
    await signIn(page, 'viewer');
    await expect(page.locator('[data-menu="admin"]').count()).resolves.toBe(0);
    await expect(page.locator('nav a', { hasText: 'Upload' }).count()).resolves.toBe(0);
    await page.locator(`tr.study[data-uid="${mr.study_instance}"]`).click();
    await page.locator('img.stack').waitFor();
    await page.locator('.series-list li').first().waitFor();
    await expect(page.locator('[data-action^="delete"]').count()).resolves.toBe(0);
    // The admin pages are not reachable by URL either: the study list is shown instead.
    await page.evaluate(() => ((globalThis as any).location.hash = '#/admin/users'));
    await page.locator('form[aria-label="Study filters"]').waitFor();
    await expect(page.locator('section.admin').count()).resolves.toBe(0);
    await shot(page, 'reader');

    // A link whose "UID" is a path is refused before any request is made with the token.
    const asked: string[] = [];
    page.on('request', (r) => asked.push(new URL(r.url()).pathname));
    await page.evaluate(
      () => ((globalThis as any).location.hash = '#/study/..%2F..%2Fadmin%2Fusers'),
    );
    await page.locator('p.error', { hasText: 'Not a Study Instance UID' }).waitFor();
    expect(asked.filter((p) => p.includes('admin'))).toEqual([]);

    // A multi-frame instance: the arrow key steps to the next frame, drawn as the server renders it.
    const mf = sample(MF);
    expect((await stowSample(server, MF, writer)).status).toBe(200);
    await page.evaluate(
      (uid) => ((globalThis as any).location.hash = `#/study/${uid}`),
      mf.study_instance,
    );
    await page.locator('.overlay', { hasText: '1 / 10' }).waitFor();
    await page.locator('.stack-frame').press('ArrowDown');
    await page.locator('.overlay', { hasText: '2 / 10' }).waitFor();
    const frameUrl = `${server.base}/studies/${mf.study_instance}/series/${mf.series_instance}/instances/${mf.sop_instance}/frames/2/rendered`;
    const frame2 = await renderedPixels(frameUrl, (await sessionOf(page)).token);
    await expect
      .poll(async () => maxDifference((await viewerPixels(page)).data, frame2.data), {
        timeout: 10_000,
      })
      .toBeLessThanOrEqual(1);
    await page.locator('nav a', { hasText: 'Studies' }).click();

    // Refresh token rotation: a session due to expire is refreshed once, with a new refresh
    // token; the old one is spent.
    const before = await sessionOf(page);
    await page.evaluate(() => {
      const storage = (globalThis as any).sessionStorage;
      const s = JSON.parse(storage.getItem('strata.session'));
      storage.setItem('strata.session', JSON.stringify({ ...s, expiresAt: Date.now() }));
    });
    await page.reload();
    await page.locator('form[aria-label="Study filters"]').waitFor();
    await expect
      .poll(async () => (await sessionOf(page)).refreshToken)
      .not.toBe(before.refreshToken);
    const after = await sessionOf(page);
    expect(after.token).not.toBe(before.token);
    expect(after.expiresAt).toBeGreaterThan(Date.now() + 60_000);
    await page.locator(`tr.study[data-uid="${mr.study_instance}"]`).waitFor();
    const reuse = await fetch(`${server.url}/auth/token`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'refresh_token',
        refresh_token: before.refreshToken,
      }),
    });
    expect(reuse.status).toBe(400);
    expect(errors).toEqual([]);
  }, 60_000);
});

describe.skipIf(skipped !== undefined)('#14: the console signs in with OIDC (code + PKCE)', () => {
  it('a user signs in at the provider and comes back signed in, tokens in no cookie', async () => {
    const idp = await CodeFlowIdp.start({ aud: 'strata', roles: ['reader'] });
    const viewerUrl = 'http://viewer.example/viewer?StudyInstanceUIDs={StudyInstanceUID}';
    const oidc = await startTestServer({
      AUTH_METHODS: 'oidc',
      AUTH_OIDC_ISSUER: idp.issuer,
      AUTH_OIDC_AUDIENCE: 'strata',
      CONSOLE_OIDC_CLIENT_ID: 'strata-console',
      CONSOLE_VIEWER_URL: viewerUrl,
    });
    try {
      const mr = sample(MR);
      const writer = await idp.sign({ aud: 'strata', roles: ['writer'] });
      expect((await stowSample(oidc, MR, writer)).status).toBe(200);

      const context = await browser.newContext();
      const page = await context.newPage();
      const errors: string[] = [];
      page.on('pageerror', (e) => errors.push(e.message));
      await page.goto(`${oidc.url}/`);
      await page.getByRole('button', { name: /Sign in with 127\.0\.0\.1/ }).click();
      await page.locator('header.top .who', { hasText: 'oidc-user' }).waitFor();

      const [authorization] = idp.authorizations;
      expect(authorization?.get('code_challenge_method')).toBe('S256');
      expect(authorization?.get('client_id')).toBe('strata-console');
      expect(authorization?.get('redirect_uri')).toBe(`${oidc.url}/console/callback`);
      expect(idp.refusals).toEqual([]);
      // Back at the start page, the code gone from the address; no cookie holds anything.
      expect(new URL(page.url()).pathname).toBe('/');
      expect(new URL(page.url()).search).toBe('');
      expect(await context.cookies()).toEqual([]);

      // A reader: the study, a link to the configured viewer, no delete.
      await page.locator(`tr.study[data-uid="${mr.study_instance}"]`).click();
      const link = page.getByRole('link', { name: 'Open in viewer' });
      await expect(link.getAttribute('href')).resolves.toBe(
        viewerUrl.replace('{StudyInstanceUID}', mr.study_instance!),
      );
      await page.locator('img.stack').waitFor();
      await expect(page.locator('[data-action^="delete"]').count()).resolves.toBe(0);
      expect(errors).toEqual([]);
      await context.close();
    } finally {
      await oidc.close();
      await idp.close();
    }
  }, 90_000);
});

/** STOW of one sample file with a bearer token. */
async function stowSample(target: TestServer, file: string, token: string): Promise<Response> {
  return fetch(`${target.base}/studies`, {
    method: 'POST',
    headers: {
      'Content-Type': 'multipart/related; type="application/dicom"; boundary=b',
      Authorization: `Bearer ${token}`,
    },
    body: Buffer.concat([
      Buffer.from('--b\r\nContent-Type: application/dicom\r\n\r\n'),
      await readFile(samplePath(file)),
      Buffer.from('\r\n--b--\r\n'),
    ]),
  });
}

async function sessionOf(
  page: Page,
): Promise<{ token: string; refreshToken: string; expiresAt: number }> {
  return page.evaluate(() =>
    JSON.parse((globalThis as any).sessionStorage.getItem('strata.session')),
  );
}

/** An access token of an account without a second factor, by the password grant. */
async function tokenOf(username: string): Promise<string> {
  const response = await fetch(`${server.url}/auth/token`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'password', username, password: PASSWORD }),
  });
  expect(response.status).toBe(200);
  return ((await response.json()) as { access_token: string }).access_token;
}
